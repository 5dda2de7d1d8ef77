// Package httpapi is the notify module's REST edge: the endpoints a
// browser uses to register and remove its Web Push subscription, and to
// learn the server's VAPID public key (the applicationServerKey of
// PushManager.subscribe).
package httpapi

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/egress"
	"github.com/chatforge/chat/platform/web"
)

// Handler serves the push-subscription endpoints.
type Handler struct {
	subs      *app.Subscriptions
	publicKey string
	log       *slog.Logger
}

// New returns the handler; publicKey is the VAPID public key (base64url).
func New(s *app.Subscriptions, publicKey string, log *slog.Logger) *Handler {
	return &Handler{subs: s, publicKey: publicKey, log: log}
}

// Routes mounts, behind auth and userLimit (either may be nil):
//
//	GET    /api/push/vapid-public-key   {publicKey}
//	GET    /api/push/subscriptions      {items:[subscription]}
//	POST   /api/push/subscriptions      PushSubscription JSON -> 201 subscription
//	DELETE /api/push/subscriptions/:id  204
func (h *Handler) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	var mw []gin.HandlerFunc
	for _, m := range []gin.HandlerFunc{auth, userLimit} {
		if m != nil {
			mw = append(mw, m)
		}
	}
	g := r.Group("/api/push", mw...)
	g.GET("/vapid-public-key", h.vapidKey)
	g.GET("/subscriptions", h.list)
	g.POST("/subscriptions", h.register)
	g.DELETE("/subscriptions/:id", h.remove)
}

// subscribeRequest is the browser's PushSubscription.toJSON().
type subscribeRequest struct {
	Endpoint       string `json:"endpoint" validate:"required,max=2048"`
	ExpirationTime *int64 `json:"expirationTime"` // accepted and ignored: the push service tells us with 404/410
	Keys           struct {
		P256DH string `json:"p256dh" validate:"required,max=200"`
		Auth   string `json:"auth" validate:"required,max=100"`
	} `json:"keys" validate:"required"`
}

// subscriptionDTO is a stored subscription; the keys are not echoed back.
type subscriptionDTO struct {
	ID            string  `json:"id"`
	Endpoint      string  `json:"endpoint"`
	UserAgent     string  `json:"userAgent"`
	CreatedAt     string  `json:"createdAt"`
	LastSuccessAt *string `json:"lastSuccessAt"`
}

func toDTO(s domain.Subscription) subscriptionDTO {
	d := subscriptionDTO{ID: s.ID, Endpoint: s.Endpoint, UserAgent: s.UserAgent, CreatedAt: stamp(s.CreatedAt)}
	if !s.LastSuccessAt.IsZero() {
		v := stamp(s.LastSuccessAt)
		d.LastSuccessAt = &v
	}
	return d
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (h *Handler) vapidKey(c *gin.Context) {
	if h.publicKey == "" {
		web.WriteProblem(c, http.StatusServiceUnavailable, "push notifications are not configured on this server")
		return
	}
	c.JSON(http.StatusOK, gin.H{"publicKey": h.publicKey})
}

func (h *Handler) list(c *gin.Context) {
	subs, err := h.subs.List(c.Request.Context(), authn.PrincipalFrom(c).UserID)
	if err != nil {
		h.fail(c, err)
		return
	}
	items := make([]subscriptionDTO, len(subs))
	for i, s := range subs {
		items[i] = toDTO(s)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (h *Handler) register(c *gin.Context) {
	var req subscribeRequest
	if !web.Bind(c, &req) {
		return
	}
	// The subscription lives as long as the caller's session: logging out
	// (or any revocation of it) ends the pushes to this device.
	p := authn.PrincipalFrom(c)
	s, err := h.subs.Register(c.Request.Context(), p.UserID, p.SessionID, req.Endpoint, req.Keys.P256DH, req.Keys.Auth, c.Request.UserAgent())
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toDTO(s))
}

func (h *Handler) remove(c *gin.Context) {
	if _, err := uuid.Parse(c.Param("id")); err != nil {
		web.WriteProblem(c, http.StatusBadRequest, "id: must be a UUID")
		return
	}
	if err := h.subs.Remove(c.Request.Context(), authn.PrincipalFrom(c).UserID, c.Param("id")); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// Handlers pass c.Request.Context(), not c, to the use cases: gin recycles
// c once the handler returns, and database/sql may still read the context
// from a goroutine of its own at that point.

// fail is the module's error table.
func (h *Handler) fail(c *gin.Context, err error) {
	var fe *domain.InvalidField
	switch {
	case errors.As(err, &fe):
		web.WriteProblem(c, http.StatusUnprocessableEntity, "invalid push subscription",
			web.FieldError{Field: fe.Field, Message: fe.Message})
	case errors.Is(err, egress.ErrRefused):
		// Not a malformed subscription but a destination the server will not
		// reach: 400, with the reason (the class of address, never the path).
		var re *egress.RefusedError
		msg := "must not lead to an internal address"
		if errors.As(err, &re) {
			msg = "refused: " + re.Reason
		}
		web.WriteProblem(c, http.StatusBadRequest, "endpoint "+msg, web.FieldError{Field: "endpoint", Message: msg})
	case errors.Is(err, egress.ErrUnresolvable):
		web.WriteProblem(c, http.StatusBadRequest, "endpoint host does not resolve",
			web.FieldError{Field: "endpoint", Message: "host does not resolve"})
	case isDNSFailure(err):
		h.log.WarnContext(c.Request.Context(), "push subscriptions: cannot resolve endpoint", "err", err)
		c.Header("Retry-After", "5")
		web.WriteProblem(c, http.StatusServiceUnavailable, "cannot check the endpoint now; try again shortly")
	case errors.Is(err, domain.ErrNotFound):
		web.WriteProblem(c, http.StatusNotFound, "no such push subscription")
	default:
		// An outage (503), a client gone (499) or a bug (500).
		web.WriteServerError(c, h.log, "push subscriptions request", err)
	}
}

// isDNSFailure: the resolver failed for a reason other than "no such host"
// (timeout, server failure): a dependency outage, not the client's fault.
func isDNSFailure(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && !dnsErr.IsNotFound
}
