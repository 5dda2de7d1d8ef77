// Package httpapi serves the calls module's REST endpoint:
// GET /api/calls/ice-servers.
package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/platform/authn"
)

// ICEConfig is what the endpoint hands out.
type ICEConfig struct {
	STUNURLs []string      // given as is, no credential
	TURNURLs []string      // given with a credential
	Secret   string        // TURN_SECRET, shared with the TURN server
	TTL      time.Duration // how long a credential works
	Now      func() time.Time
}

// iceServer is one RTCIceServer (the browser's shape).
type iceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

type iceServers struct {
	ICEServers []iceServer `json:"iceServers"`
	// TTL is how many seconds the TURN credential works: fetch a fresh one
	// before starting a call after that.
	TTL int64 `json:"ttl"`
}

// Routes mounts GET /api/calls/ice-servers behind auth and the user limit.
func Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc, cfg ICEConfig) {
	r.GET("/api/calls/ice-servers", auth, userLimit, func(c *gin.Context) {
		out := iceServers{ICEServers: []iceServer{}, TTL: int64(cfg.TTL / time.Second)}
		if len(cfg.STUNURLs) > 0 {
			out.ICEServers = append(out.ICEServers, iceServer{URLs: cfg.STUNURLs})
		}
		if len(cfg.TURNURLs) > 0 {
			user, pass := domain.TURNCredential(cfg.Secret, authn.PrincipalFrom(c).UserID, cfg.Now().Add(cfg.TTL))
			out.ICEServers = append(out.ICEServers, iceServer{URLs: cfg.TURNURLs, Username: user, Credential: pass})
		}
		// A credential is personal and expires: never cached by a proxy.
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, out)
	})
}
