// Package httpapi is the webhooks module's REST port:
// /api/chat/rooms/:id/webhooks.
package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/webhooks/internal/app"
	"github.com/chatforge/chat/modules/webhooks/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/web"
)

// Handler serves the routes. Safe for concurrent use.
type Handler struct {
	m   *app.Manager
	log *slog.Logger
}

// New returns the handler over m.
func New(m *app.Manager, log *slog.Logger) *Handler { return &Handler{m: m, log: log} }

// Routes mounts the routes behind auth and userLimit.
func (h *Handler) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	g := r.Group("/api/chat/rooms/:id/webhooks", auth, userLimit)
	g.POST("", h.create)
	g.GET("", h.list)
	g.DELETE("/:webhookId", h.delete)
	g.POST("/:webhookId/enable", h.enable)
}

type createRequest struct {
	URL    string   `json:"url" validate:"required,max=2048"`
	Events []string `json:"events" validate:"required,min=1,max=10"`
}

type webhookDTO struct {
	ID         string   `json:"id"`
	RoomID     string   `json:"roomId"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	Secret     string   `json:"secret,omitempty"` // creation only
	Failures   int      `json:"failures"`
	LastError  string   `json:"lastError,omitempty"`
	DisabledAt string   `json:"disabledAt,omitempty"`
	CreatedAt  string   `json:"createdAt"`
}

func toDTO(w domain.Webhook) webhookDTO {
	d := webhookDTO{ID: w.ID.String(), RoomID: w.RoomID.String(), URL: w.URL, Events: w.Events, Failures: w.Failures,
		LastError: w.LastError, CreatedAt: w.CreatedAt.Format(time.RFC3339Nano)}
	if w.DisabledAt != nil {
		d.DisabledAt = w.DisabledAt.Format(time.RFC3339Nano)
	}
	return d
}

// create: POST {url, events} -> 201 webhook with its secret (shown once).
func (h *Handler) create(c *gin.Context) {
	var req createRequest
	if !web.Bind(c, &req) {
		return
	}
	w, err := h.m.Create(c.Request.Context(), authn.PrincipalFrom(c).UserID, c.Param("id"), req.URL, req.Events)
	if err != nil {
		h.writeError(c, err)
		return
	}
	d := toDTO(w)
	d.Secret = w.Secret
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, d)
}

// list: GET -> {items} without secrets.
func (h *Handler) list(c *gin.Context) {
	ws, err := h.m.List(c.Request.Context(), authn.PrincipalFrom(c).UserID, c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	items := make([]webhookDTO, len(ws))
	for i, w := range ws {
		items[i] = toDTO(w)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// delete: DELETE /:webhookId -> 204.
func (h *Handler) delete(c *gin.Context) {
	if err := h.m.Delete(c.Request.Context(), authn.PrincipalFrom(c).UserID, c.Param("id"), c.Param("webhookId")); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// enable: POST /:webhookId/enable -> 200 webhook, failures reset.
func (h *Handler) enable(c *gin.Context) {
	w, err := h.m.Enable(c.Request.Context(), authn.PrincipalFrom(c).UserID, c.Param("id"), c.Param("webhookId"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toDTO(w))
}

func (h *Handler) writeError(c *gin.Context, err error) {
	if ie, ok := app.IsInvalid(err); ok {
		web.WriteProblem(c, http.StatusUnprocessableEntity, "invalid webhook", web.FieldError{Field: ie.Field, Message: ie.Message})
		return
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		web.WriteProblem(c, http.StatusNotFound, "no such room or webhook")
	case errors.Is(err, domain.ErrForbidden):
		web.WriteProblem(c, http.StatusForbidden, "only the room's owner manages its webhooks")
	case errors.Is(err, domain.ErrTooMany):
		web.WriteProblem(c, http.StatusConflict, "a room has at most 10 webhooks")
	default:
		web.WriteServerError(c, h.log, "webhooks request", err)
	}
}
