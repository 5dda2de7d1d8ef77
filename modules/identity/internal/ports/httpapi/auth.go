package httpapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/web"
)

// register: POST /api/auth/register -> 201 {user}.
func (h *Handler) register(c *gin.Context) {
	var req registerRequest
	if !web.Bind(c, &req) || !h.allowAccount(c, req.Email) {
		return
	}
	u, err := h.app.Register(c.Request.Context(), app.RegisterInput{
		Email: req.Email, Password: req.Password, DisplayName: req.DisplayName,
	})
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, registerResponse{User: toUserResponse(u)})
}

// login: POST /api/auth/login -> 200 tokens and user.
func (h *Handler) login(c *gin.Context) {
	var req loginRequest
	if !web.Bind(c, &req) || !h.allowLogin(c, req.Email) {
		return
	}
	t, u, err := h.app.Login(c.Request.Context(), app.LoginInput{
		Email: req.Email, Password: req.Password, UserAgent: c.Request.UserAgent(), IP: c.ClientIP(),
		DeviceName: req.DeviceName,
	})
	if err != nil {
		if errors.Is(err, domain.ErrInvalidCredentials) {
			h.loginFailed(c, req.Email)
		}
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, loginResponse{tokenResponse: toTokenResponse(t), User: toUserResponse(u)})
}

// refresh: POST /api/auth/refresh -> 200 new token pair.
func (h *Handler) refresh(c *gin.Context) {
	var req refreshRequest
	if !web.Bind(c, &req) {
		return
	}
	t, err := h.app.Refresh(c.Request.Context(), req.RefreshToken)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toTokenResponse(t))
}

// logout: POST /api/auth/logout (auth) -> 204.
func (h *Handler) logout(c *gin.Context) {
	p, ok := h.principal(c)
	if !ok {
		return
	}
	if err := h.app.Logout(c.Request.Context(), p); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
