// Package httpapi is the messaging module's REST port (/api/chat/*): gin
// handlers, their JSON DTOs and the one table mapping the module's errors to
// problem+json. Handlers check the shape of a request (path and query
// parameters, web.Bind for bodies), call one use case and encode its
// result; the rules live in app and domain.
package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/platform/authn"
)

// Handler serves the chat routes. Safe for concurrent use.
type Handler struct {
	app *app.App
	log *slog.Logger
}

// New returns a Handler over a.
func New(a *app.App, log *slog.Logger) *Handler { return &Handler{app: a, log: log} }

// Routes mounts /api/chat/* on r. auth authenticates the caller
// (authn.Middleware) and userLimit rate-limits per user after it; nil skips
// either (tests).
func (h *Handler) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	var mw []gin.HandlerFunc
	for _, m := range []gin.HandlerFunc{auth, userLimit} {
		if m != nil {
			mw = append(mw, m)
		}
	}
	g := r.Group("/api/chat", mw...)
	g.GET("/rooms", h.listRooms)
	g.POST("/rooms", h.createRoom)
	g.GET("/rooms/public", h.publicRooms)
	g.GET("/rooms/:id", h.getRoom)
	g.GET("/rooms/:id/members", h.members)
	g.POST("/rooms/:id/members", h.addMember)
	g.DELETE("/rooms/:id/members/:userId", h.removeMember)
	g.POST("/rooms/:id/join", h.join)
	g.POST("/rooms/:id/leave", h.leave)
	g.POST("/rooms/:id/read", h.markRead)
	g.POST("/direct", h.openDirect)
	g.GET("/messages", h.history)
	g.POST("/messages", h.sendMessage)
	g.PATCH("/messages/:id", h.editMessage)
	g.DELETE("/messages/:id", h.deleteMessage)
	g.GET("/messages/:id/reactions", h.reactions)
	g.PUT("/messages/:id/reactions/:emoji", h.react)
	g.DELETE("/messages/:id/reactions/:emoji", h.react)
	g.GET("/search", h.search)
	h.safetyRoutes(g, r.Group("/api/user", mw...))
	g.GET("/sync", h.sync)
}

// user is the authenticated caller.
func user(c *gin.Context) string { return authn.PrincipalFrom(c).UserID }

// created answers 201 for a new resource, 200 for an existing one.
func created(isNew bool) int {
	if isNew {
		return http.StatusCreated
	}
	return http.StatusOK
}
