// Package httpapi is the key directory's REST edge (/api/keys): a device
// publishes its identity and signed prekey, uploads one-time keys, counts
// them, and claims other devices' bundles (ARCHITECTURE.md section 10).
package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/keys/internal/app"
	"github.com/chatforge/chat/modules/keys/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/web"
)

// Handler serves /api/keys.
type Handler struct {
	app *app.App
	log *slog.Logger
}

// New returns the handler.
func New(a *app.App, log *slog.Logger) *Handler { return &Handler{app: a, log: log} }

// Routes mounts, behind auth and userLimit (either may be nil):
//
//	PUT  /api/keys/device    {deviceId, identityKey, signedPreKey} -> 204
//	POST /api/keys/one-time  {keys: [{keyId, publicKey}]} -> {oneTimeKeys}
//	GET  /api/keys/count     -> {oneTimeKeys}
//	POST /api/keys/claim     {userIds} -> {devices: [...]}
func (h *Handler) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	var mw []gin.HandlerFunc
	for _, m := range []gin.HandlerFunc{auth, userLimit} {
		if m != nil {
			mw = append(mw, m)
		}
	}
	g := r.Group("/api/keys", mw...)
	g.PUT("/device", h.putDevice)
	g.POST("/one-time", h.uploadOneTime)
	g.GET("/count", h.count)
	g.POST("/claim", h.claim)
}

type preKeyDTO struct {
	KeyID     *int64 `json:"keyId" validate:"required"`
	PublicKey string `json:"publicKey" validate:"required"`
}

type signedPreKeyDTO struct {
	KeyID     *int64 `json:"keyId" validate:"required"`
	PublicKey string `json:"publicKey" validate:"required"`
	Signature string `json:"signature" validate:"required"`
}

type deviceRequest struct {
	DeviceID     string           `json:"deviceId" validate:"required"`
	IdentityKey  string           `json:"identityKey" validate:"required"`
	SignedPreKey *signedPreKeyDTO `json:"signedPreKey" validate:"required"`
}

type oneTimeRequest struct {
	Keys []preKeyDTO `json:"keys" validate:"required,dive"`
}

type claimRequest struct {
	UserIDs []string `json:"userIds" validate:"required,dive,uuid"`
}

type countDTO struct {
	OneTimeKeys int `json:"oneTimeKeys"`
}

type oneTimeKeyDTO struct {
	KeyID     int64  `json:"keyId"`
	PublicKey string `json:"publicKey"`
}

type signedKeyOutDTO struct {
	KeyID     int64  `json:"keyId"`
	PublicKey string `json:"publicKey"`
	Signature string `json:"signature"`
}

type deviceDTO struct {
	UserID       string          `json:"userId"`
	DeviceID     string          `json:"deviceId"`
	IdentityKey  string          `json:"identityKey"`
	SignedPreKey signedKeyOutDTO `json:"signedPreKey"`
	OneTimeKey   *oneTimeKeyDTO  `json:"oneTimeKey"`
}

type claimDTO struct {
	Devices []deviceDTO `json:"devices"`
}

func caller(c *gin.Context) app.Caller {
	p := authn.PrincipalFrom(c)
	return app.Caller{UserID: p.UserID, SessionID: p.SessionID}
}

func (h *Handler) putDevice(c *gin.Context) {
	var req deviceRequest
	if !web.Bind(c, &req) {
		return
	}
	sp := req.SignedPreKey
	err := h.app.PublishDevice(c.Request.Context(), caller(c), domain.Device{
		DeviceID: req.DeviceID, IdentityKey: req.IdentityKey,
		SignedPreKey: domain.SignedPreKey{PreKey: domain.PreKey{KeyID: *sp.KeyID, PublicKey: sp.PublicKey}, Signature: sp.Signature},
	})
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) uploadOneTime(c *gin.Context) {
	var req oneTimeRequest
	if !web.Bind(c, &req) {
		return
	}
	keys := make([]domain.PreKey, len(req.Keys))
	for i, k := range req.Keys {
		keys[i] = domain.PreKey{KeyID: *k.KeyID, PublicKey: k.PublicKey}
	}
	n, err := h.app.UploadOneTime(c.Request.Context(), caller(c), keys)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, countDTO{OneTimeKeys: n})
}

func (h *Handler) count(c *gin.Context) {
	n, err := h.app.CountOneTime(c.Request.Context(), caller(c))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, countDTO{OneTimeKeys: n})
}

func (h *Handler) claim(c *gin.Context) {
	var req claimRequest
	if !web.Bind(c, &req) {
		return
	}
	got, err := h.app.Claim(c.Request.Context(), caller(c), req.UserIDs)
	if err != nil {
		h.writeError(c, err)
		return
	}
	out := claimDTO{Devices: make([]deviceDTO, len(got))}
	for i, d := range got {
		sp := d.SignedPreKey
		out.Devices[i] = deviceDTO{UserID: d.UserID, DeviceID: d.DeviceID, IdentityKey: d.IdentityKey,
			SignedPreKey: signedKeyOutDTO{KeyID: sp.KeyID, PublicKey: sp.PublicKey, Signature: sp.Signature}}
		if d.OneTimeKey != nil {
			out.Devices[i].OneTimeKey = &oneTimeKeyDTO{KeyID: d.OneTimeKey.KeyID, PublicKey: d.OneTimeKey.PublicKey}
		}
	}
	c.JSON(http.StatusOK, out)
}

// problems maps the directory's errors to HTTP, once.
var problems = []struct {
	err    error
	status int
	detail string
}{
	{domain.ErrInvalid, http.StatusUnprocessableEntity, "request has invalid fields"},
	{domain.ErrForbidden, http.StatusForbidden, "the session may not publish keys"},
	{domain.ErrNoDevice, http.StatusConflict, "publish the device keys (PUT /api/keys/device) first"},
	{domain.ErrFull, http.StatusConflict, "the device holds the most one-time keys it may"},
}

func (h *Handler) writeError(c *gin.Context, err error) {
	for _, p := range problems {
		if !errors.Is(err, p.err) {
			continue
		}
		var fields []web.FieldError
		if inv := (*domain.InvalidError)(nil); errors.As(err, &inv) {
			fields = []web.FieldError{{Field: inv.Field, Message: inv.Message}}
		}
		web.WriteProblem(c, p.status, p.detail, fields...)
		return
	}
	web.WriteServerError(c, h.log, "keys request", err)
}
