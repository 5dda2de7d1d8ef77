package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/platform/web"
)

// profile: GET /api/user/profile -> 200 user.
func (h *Handler) profile(c *gin.Context) {
	p, ok := h.principal(c)
	if !ok {
		return
	}
	u, err := h.app.Profile(c.Request.Context(), p.UserID)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserResponse(u))
}

// updateProfile: PUT /api/user/profile {displayName} -> 200 user.
func (h *Handler) updateProfile(c *gin.Context) {
	p, ok := h.principal(c)
	if !ok {
		return
	}
	var req updateProfileRequest
	if !web.Bind(c, &req) {
		return
	}
	u, err := h.app.UpdateProfile(c.Request.Context(), p.UserID, req.DisplayName)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserResponse(u))
}

// changePassword: PUT /api/user/password {currentPassword, newPassword} ->
// 204; 422 naming currentPassword when it is wrong.
func (h *Handler) changePassword(c *gin.Context) {
	p, ok := h.principal(c)
	if !ok {
		return
	}
	var req changePasswordRequest
	if !web.Bind(c, &req) {
		return
	}
	if err := h.app.ChangePassword(c.Request.Context(), p, req.CurrentPassword, req.NewPassword); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// sessions: GET /api/user/sessions -> 200 [session].
func (h *Handler) sessions(c *gin.Context) {
	p, ok := h.principal(c)
	if !ok {
		return
	}
	ss, err := h.app.Sessions(c.Request.Context(), p)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toSessionResponses(ss))
}

// revokeSession: DELETE /api/user/sessions/:id -> 204; 400 for an id that
// is not a UUID, 404 for one that is not a live session of the caller.
func (h *Handler) revokeSession(c *gin.Context) {
	p, ok := h.principal(c)
	if !ok {
		return
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		web.WriteProblem(c, http.StatusBadRequest, "session id must be a UUID")
		return
	}
	if err := h.app.RevokeSession(c.Request.Context(), p, id); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
