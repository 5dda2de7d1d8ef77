package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

type editRequest struct {
	Content string `json:"content" validate:"required"`
}

// editMessage answers PATCH /messages/:id with the message as it now is.
func (h *Handler) editMessage(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var req editRequest
	if !web.Bind(c, &req) {
		return
	}
	m, err := h.app.EditMessage(c.Request.Context(), user(c), id, req.Content)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toMessage(m))
}

// deleteMessage answers DELETE /messages/:id: 204, again 204.
func (h *Handler) deleteMessage(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	if _, err := h.app.DeleteMessage(c.Request.Context(), user(c), id); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// react answers PUT (add) and DELETE (remove) of
// /messages/:id/reactions/:emoji with 204, idempotent.
func (h *Handler) react(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	add := c.Request.Method == http.MethodPut
	if _, err := h.app.React(c.Request.Context(), user(c), id, c.Param("emoji"), add); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type reactionDTO struct {
	Emoji     string `json:"emoji"`
	UserID    string `json:"userId"`
	CreatedAt string `json:"createdAt"`
}

// reactions answers GET /messages/:id/reactions: who reacted with what,
// oldest first.
func (h *Handler) reactions(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	rs, err := h.app.Reactions(c.Request.Context(), user(c), id)
	if err != nil {
		h.writeError(c, err)
		return
	}
	out := make([]reactionDTO, len(rs))
	for i, r := range rs {
		out[i] = reactionDTO{Emoji: r.Emoji, UserID: r.UserID, CreatedAt: stamp(r.CreatedAt)}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}
