package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/olahol/melody"

	"github.com/chatforge/chat/apps/gateway/internal/wsout"
)

// Handler gets the life of each session. OnOpen runs once, before any
// OnMessage; OnMessage calls of one session never overlap (whichever
// transport carries them) and none follows OnClose, which runs once.
// OnSent reports n message packets written to the client (the caller's
// send-queue accounting), from any goroutine.
type Handler interface {
	OnOpen(s *Session)
	OnMessage(s *Session, data []byte, binary bool)
	OnSent(s *Session, n int)
	OnClose(s *Session, reason string)
}

// Config is the server's tuning.
type Config struct {
	PingInterval time.Duration // a ping every this long
	PingTimeout  time.Duration // the pong must come within this, or the session closes
	MaxPayload   int           // largest POST body / websocket message; more closes the session
	SendBuffer   int           // websocket frames queued before the session is cut as slow
	WriteWait    time.Duration // longest write of one websocket frame
	// NewID returns a new session id (unique, URL-safe); default 20 random bytes.
	NewID func() string
	// AllowOrigin says whether a browser page from origin may use the
	// polling transport (CORS); nil allows every origin.
	AllowOrigin func(origin string) bool
	// Forward, if set, may serve a request whose session is not here (it
	// belongs to another server): it returns false to let the request be
	// refused as an unknown session.
	Forward func(w http.ResponseWriter, r *http.Request, sid string) bool
	Log     *slog.Logger
}

// Server serves Engine.IO v4 at one path (both transports).
type Server struct {
	cfg Config
	h   Handler
	m   *melody.Melody
	// conns is each websocket's wsConn (melody's per-session Keys would
	// cost a map per socket).
	conns wsout.Registry[*wsConn]

	mu       sync.Mutex
	sessions map[string]*Session
	closed   bool // Close ran: no new sessions
}

// NewServer returns a server handing sessions to h.
func NewServer(cfg Config, h Handler) *Server {
	if cfg.NewID == nil {
		cfg.NewID = RandomID
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.WriteWait <= 0 {
		cfg.WriteWait = 10 * time.Second
	}
	s := &Server{cfg: cfg, h: h, sessions: make(map[string]*Session)}
	s.m = s.newMelody()
	return s
}

// RandomID is the default session id: 20 random bytes, base64url.
func RandomID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Len is the number of open sessions.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close ends every session's websocket, refuses new websockets, and closes
// what polling sessions are left (their owner, the gateway's drain, has
// usually closed them already): a GET held for one of them returns at once
// with the close packet, so nothing keeps the HTTP server's graceful
// shutdown waiting for a ping that may never come.
func (s *Server) Close() {
	_ = s.m.Close()
	s.mu.Lock()
	s.closed = true
	left := make([]*Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		left = append(left, sess)
	}
	s.mu.Unlock()
	for _, sess := range left {
		sess.Close()
	}
}

// Has reports whether sid is a session of this server.
func (s *Server) Has(sid string) bool { return s.lookup(sid) != nil }

func (s *Server) lookup(sid string) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[sid]
}

func (s *Server) remove(sess *Session) {
	s.mu.Lock()
	delete(s.sessions, sess.ID)
	s.mu.Unlock()
}

// Error codes of the Engine.IO HTTP answers (as the reference server).
const (
	errUnknownTransport = 0
	errUnknownSID       = 1
	errBadHandshake     = 2
	errBadRequest       = 3
	errForbidden        = 4
	errUnsupported      = 5
)

var errMessages = map[int]string{
	errUnknownTransport: "Transport unknown",
	errUnknownSID:       "Session ID unknown",
	errBadHandshake:     "Bad handshake method",
	errBadRequest:       "Bad request",
	errForbidden:        "Forbidden",
	errUnsupported:      "Unsupported protocol version",
}

func writeError(w http.ResponseWriter, status, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": errMessages[code]})
}

// ServeHTTP handles every Engine.IO request: handshake, poll, post and
// websocket.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.cors(w, r) {
		writeError(w, http.StatusForbidden, errForbidden)
		return
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q := r.URL.Query()
	if q.Get("EIO") != "4" {
		writeError(w, http.StatusBadRequest, errUnsupported)
		return
	}
	transport := q.Get("transport")
	if transport != "polling" && transport != "websocket" {
		writeError(w, http.StatusBadRequest, errUnknownTransport)
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		s.handshake(w, r, transport)
		return
	}
	sess := s.lookup(sid)
	if sess == nil {
		if s.cfg.Forward != nil && s.cfg.Forward(w, r, sid) {
			return
		}
		writeError(w, http.StatusBadRequest, errUnknownSID)
		return
	}
	switch {
	case transport == "websocket":
		s.serveWebsocket(w, r, sess, false)
	case r.Method == http.MethodGet:
		sess.poll(w, r)
	case r.Method == http.MethodPost:
		sess.post(w, r)
	default:
		writeError(w, http.StatusBadRequest, errBadRequest)
	}
}

// cors answers the browser's CORS checks for the polling transport (the
// websocket handshake carries no CORS). No credentials: clients
// authenticate with a bearer token, never a cookie.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if s.cfg.AllowOrigin != nil && !s.cfg.AllowOrigin(origin) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", "600")
	}
	return true
}

// handshake opens a session: over polling, the GET is answered with the
// open packet; over websocket, the open packet is the first frame.
func (s *Server) handshake(w http.ResponseWriter, r *http.Request, transport string) {
	if transport == "polling" && r.Method != http.MethodGet {
		writeError(w, http.StatusBadRequest, errBadHandshake)
		return
	}
	if s.isClosed() {
		// Draining: a new polling session's held GET would keep the HTTP
		// server's graceful shutdown waiting. The client retries, through
		// another gateway.
		writeError(w, http.StatusServiceUnavailable, errForbidden)
		return
	}
	sess := newSession(s, s.cfg.NewID(), r)
	if transport == "websocket" {
		s.serveWebsocket(w, r, sess, true)
		return
	}
	s.register(sess, true)
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	_, _ = w.Write(sess.openPacket(true))
	s.h.OnOpen(sess)
}

func (s *Server) register(sess *Session, polling bool) {
	s.mu.Lock()
	s.sessions[sess.ID] = sess
	closed := s.closed
	s.mu.Unlock()
	sess.start()
	if closed { // Close ran since the handshake's check: end it at once
		sess.Close()
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// openPacket is the handshake: sid, upgrades, ping timing and maxPayload.
func (sess *Session) openPacket(polling bool) []byte {
	upgrades := []string{}
	if polling {
		upgrades = append(upgrades, "websocket")
	}
	b, _ := json.Marshal(struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
		MaxPayload   int      `json:"maxPayload"`
	}{sess.ID, upgrades, sess.srv.cfg.PingInterval.Milliseconds(), sess.srv.cfg.PingTimeout.Milliseconds(), sess.srv.cfg.MaxPayload})
	return Packet{Type: Open, Data: b}.Text()
}

// ErrClosed is returned by Send on a closed session.
var ErrClosed = errors.New("engineio: session closed")

// bearerFrom keeps what authentication needs of the opening request.
func bearerFrom(r *http.Request) (header, query string) {
	if h := r.Header.Get("Authorization"); h != "" {
		// Bearer, or Bot for a bot token (told apart by its prefix later).
		if scheme, tok, ok := strings.Cut(h, " "); ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Bot")) {
			header = strings.TrimSpace(tok)
		}
	}
	return header, r.URL.Query().Get("access_token")
}
