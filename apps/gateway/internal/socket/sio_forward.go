package socket

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/engineio"
)

// No sticky sessions for Socket.IO (ARCHITECTURE.md section 7): an
// Engine.IO session id ends with its gateway's advertised address
// (GATEWAY_ADVERTISE_ADDR), so a polling request (or the websocket
// upgrade) that a round-robin load balancer sends to another gateway is
// reverse-proxied to the owner over the gateways' own network. To keep a
// forged sid from making a gateway a proxy to anywhere, only addresses
// that gateways announce in Redis (peerKey, refreshed every peerRefresh)
// are forwarded to. The cost: a forwarded request takes one more hop and
// holds one more connection on the gateway that forwards it while it waits
// (a long-poll: up to PING_INTERVAL).

const (
	peerKeyPrefix  = "gateway:peer:"
	peerTTL        = 30 * time.Second
	peerRefresh    = 10 * time.Second
	forwardedHdr   = "X-Chatforge-Forwarded"
	peerCacheValid = 5 * time.Second
)

// sidSep separates a session id's random part from its owner's address.
const sidSep = "."

// newSID returns a session id naming this gateway.
func (g *Gateway) newSID() string {
	id := engineio.RandomID()
	if g.cfg.AdvertiseAddr == "" {
		return id
	}
	return id + sidSep + base64.RawURLEncoding.EncodeToString([]byte(g.cfg.AdvertiseAddr))
}

// sidOwner is the address a session id names, or "".
func sidOwner(sid string) string {
	_, enc, ok := strings.Cut(sid, sidSep)
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	return string(b)
}

// peers remembers which addresses are gateways (peerCacheValid).
type peers struct {
	mu    sync.Mutex
	known map[string]time.Time
}

// isPeer reports whether addr is an announced gateway.
func (g *Gateway) isPeer(ctx context.Context, addr string) bool {
	g.peers.mu.Lock()
	until, ok := g.peers.known[addr]
	g.peers.mu.Unlock()
	if ok && time.Now().Before(until) {
		return true
	}
	n, err := g.Redis.Exists(ctx, peerKeyPrefix+addr).Result()
	if err != nil || n == 0 {
		return false
	}
	g.peers.mu.Lock()
	if g.peers.known == nil {
		g.peers.known = make(map[string]time.Time)
	}
	g.peers.known[addr] = time.Now().Add(peerCacheValid)
	g.peers.mu.Unlock()
	return true
}

// forwardSIO is engineio's Forward: the request of a session owned by
// another gateway goes to it. A request already forwarded once is not
// forwarded again; an owner that is gone answers as an unknown session
// (the client then opens a new one).
func (g *Gateway) forwardSIO(w http.ResponseWriter, r *http.Request, sid string) bool {
	owner := sidOwner(sid)
	if owner == "" || owner == g.cfg.AdvertiseAddr || r.Header.Get(forwardedHdr) != "" || !g.isPeer(r.Context(), owner) {
		return false
	}
	// Cut when this gateway drains: the client then polls again, through
	// another gateway, for the session it still has on the owner.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(g.forwards, cancel)
	defer stop()
	g.proxy.ServeHTTP(w, r.WithContext(ctx))
	return true
}

// newProxy is the reverse proxy to the owner gateways.
func (g *Gateway) newProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = sidOwner(pr.In.URL.Query().Get("sid"))
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(forwardedHdr, g.cfg.GatewayID)
			pr.SetXForwarded()
		},
		FlushInterval: -1, // long-poll answers go out as written
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.Log.Debug("socket.io forward failed", "err", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":1,"message":"Session ID unknown"}`))
		},
	}
}

// runPeerAnnounce announces this gateway's address while it runs.
func (g *Gateway) runPeerAnnounce(ctx context.Context) error {
	if g.cfg.AdvertiseAddr == "" {
		return nil
	}
	key := peerKeyPrefix + g.cfg.AdvertiseAddr
	t := time.NewTicker(peerRefresh)
	defer t.Stop()
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := g.Redis.Set(actx, key, g.cfg.GatewayID, peerTTL).Err(); err != nil && ctx.Err() == nil {
			g.Log.Warn("gateway peer announce failed", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			g.Redis.Del(dctx, key)
			cancel()
			return nil
		case <-t.C:
		}
	}
}
