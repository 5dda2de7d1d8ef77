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
