// Package httpapi is the bots module's REST port: /api/bots.
package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/bots/internal/app"
	"github.com/chatforge/chat/modules/bots/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/web"
)

// Handler serves /api/bots. Safe for concurrent use.
type Handler struct {
	app *app.App
	log *slog.Logger
}

// New returns the handler over a.
func New(a *app.App, log *slog.Logger) *Handler { return &Handler{app: a, log: log} }

// Routes mounts the routes behind auth and userLimit. A bot cannot make or
// revoke bots (403 bot_forbidden): bots belong to people.
func (h *Handler) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	g := r.Group("/api/bots", auth, userLimit, authn.HumansOnly)
	g.POST("", h.create)
	g.GET("", h.list)
	g.DELETE("/:id", h.revoke)
}

type createRequest struct {
	Name string `json:"name" validate:"required"`
}

type botDTO struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	IsBot     bool   `json:"isBot"`
	OwnerID   string `json:"ownerId"`
	CreatedAt string `json:"createdAt"`
	RevokedAt string `json:"revokedAt,omitempty"`
}

func toDTO(b domain.Bot) botDTO {
	d := botDTO{ID: b.ID.String(), Name: b.Name, IsBot: true, OwnerID: b.OwnerID.String(),
		CreatedAt: b.CreatedAt.Format(time.RFC3339Nano)}
	if b.RevokedAt != nil {
		d.RevokedAt = b.RevokedAt.Format(time.RFC3339Nano)
	}
	return d
}

// create: POST /api/bots {name} -> 201 {bot, token}; the token is never
// shown again.
func (h *Handler) create(c *gin.Context) {
	var req createRequest
	if !web.Bind(c, &req) {
		return
	}
	b, token, err := h.app.Create(c.Request.Context(), authn.PrincipalFrom(c).UserID, req.Name)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"bot": toDTO(b), "token": token})
}

// list: GET /api/bots -> {items}: the caller's bots, revoked ones too.
func (h *Handler) list(c *gin.Context) {
	bs, err := h.app.List(c.Request.Context(), authn.PrincipalFrom(c).UserID)
	if err != nil {
		h.writeError(c, err)
		return
	}
	items := make([]botDTO, len(bs))
	for i, b := range bs {
		items[i] = toDTO(b)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// revoke: DELETE /api/bots/:id -> 204 (again 204); 404 for a bot the
// caller does not own.
func (h *Handler) revoke(c *gin.Context) {
	if err := h.app.Revoke(c.Request.Context(), authn.PrincipalFrom(c).UserID, c.Param("id")); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) writeError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, domain.ErrInvalidName):
		web.WriteProblem(c, http.StatusUnprocessableEntity, "invalid bot",
			web.FieldError{Field: "name", Message: "must be 1 to 64 characters, no control characters"})
	case errors.Is(err, domain.ErrNotFound):
		web.WriteProblem(c, http.StatusNotFound, "no such bot")
	default:
		web.WriteServerError(c, h.log, "bots request", err)
	}
}
