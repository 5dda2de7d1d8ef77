package socket

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/apps/gateway/internal/engineio"
	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/apps/gateway/internal/socketio"
	"github.com/chatforge/chat/platform/web"
)

// Socket.IO (ARCHITECTURE.md section 7): an Engine.IO session carries one
// Socket.IO connection on the default namespace, and once its CONNECT is
// authenticated it is a client like a /ws socket: the same hub
// connection, the same frame handling (handleFrame), the same limits.
// This file only translates: an EVENT with ack id N is the v1 frame
// {"event", "ref": N, "data"}, and the v1 answers go back as the ACK of N
// (see sioTransport).

// connectTimeout is how long a new Engine.IO session may take to send its
// Socket.IO CONNECT (the reference server's default is 45 s).
const connectTimeout = 20 * time.Second

// sioConn is an Engine.IO session's Socket.IO state (Session.Value).
// OnMessage and OnClose never overlap (engineio), so cl needs no lock.
type sioConn struct {
	g     *Gateway
	sess  *engineio.Session
	cl    *client // nil until the CONNECT is accepted
	timer *time.Timer
	// direct counts the packets sent past the hub (CONNECT answers, the
	// error event and DISCONNECT of a close) not yet reported by OnSent:
	// only the others were counted in the hub connection's queue depth.
	direct atomic.Int64
	// conn is cl.conn for OnSent, which runs on any goroutine.
	conn atomic.Pointer[hub.Conn]
}

func (sc *sioConn) connOf() *hub.Conn { return sc.conn.Load() }

// sendDirect sends a packet that the hub did not count.
func (sc *sioConn) sendDirect(p socketio.Packet) {
	sc.direct.Add(1)
	if sc.sess.Send(p.Append(nil)) != nil {
		sc.direct.Add(-1)
	}
}

// sioHandler is the gateway's engineio.Handler.
type sioHandler struct{ g *Gateway }

func (h sioHandler) OnOpen(s *engineio.Session) {
	sc := &sioConn{g: h.g, sess: s}
	s.Value = sc
	sc.timer = time.AfterFunc(connectTimeout, func() {
		s.Close() // no CONNECT: the reference server closes too
	})
}

func (h sioHandler) OnMessage(s *engineio.Session, data []byte, binary bool) {
	sc, _ := s.Value.(*sioConn)
	if sc == nil {
		return
	}
	defer sc.recover()
	if binary {
		sc.refuse(-1, "binary attachments are not supported; send JSON")
		return
	}
	p, err := socketio.Decode(data)
	if err != nil {
		if sc.cl == nil {
			s.Close()
			return
		}
		sc.refuse(-1, "malformed Socket.IO packet")
		return
	}
	if p.Namespace != socketio.DefaultNamespace {
		if p.Type == socketio.Connect {
			sc.connectError(p.Namespace, "Invalid namespace", string(protocol.CodeNotFound))
		}
		return // other namespaces are not served
	}
	switch p.Type {
	case socketio.Connect:
		if sc.cl == nil {
			sc.connectAside(p.Data)
		}
	case socketio.Disconnect:
		s.Close()
	case socketio.Event:
		if sc.cl != nil {
			sc.event(p)
		}
	case socketio.BinaryEvent, socketio.BinaryAck:
		sc.refuse(p.ID, "binary attachments are not supported; send JSON")
	}
	// ACK: the gateway asks for no acknowledgement; ignored.
}

func (h sioHandler) OnSent(s *engineio.Session, n int) {
	sc, _ := s.Value.(*sioConn)
	if sc == nil {
		return
	}
	for ; n > 0; n-- {
		if d := sc.direct.Load(); d > 0 && sc.direct.CompareAndSwap(d, d-1) {
			continue
		}
		if conn := sc.connOf(); conn != nil {
			conn.Sent()
		}
	}
}

func (h sioHandler) OnClose(s *engineio.Session, _ string) {
	sc, _ := s.Value.(*sioConn)
	if sc == nil {
		return
	}
	if sc.timer != nil {
		sc.timer.Stop()
	}
	if sc.cl != nil {
		h.g.unregister(sc.cl)
	}
}

// recover keeps a panic in one session's handling from taking the
// process down; the session is cut (its teardown runs as usual).
func (sc *sioConn) recover() {
	if rec := recover(); rec != nil {
		sc.g.Log.Error("panic recovered in a Socket.IO session", "panic", rec)
		sc.sess.Kill()
	}
}

// event hands an EVENT to the v1 frame handling: its first argument is
// the data, its ack id the ref.
func (sc *sioConn) event(p socketio.Packet) {
	name, args, err := socketio.EventName(p)
	if err != nil {
		sc.refuse(p.ID, "malformed event")
		return
	}
	var ref json.RawMessage
	if p.ID >= 0 {
		ref = strconv.AppendInt(nil, p.ID, 10)
	}
	var data []byte
	if len(args) > 0 {
		data = args[0]
	}
	sc.g.handleFrame(sc.cl, protocol.Frame(name, ref, data))
}

// refuse answers a packet the gateway cannot take with bad_request (a
// strike, as a bad /ws frame).
func (sc *sioConn) refuse(id int64, msg string) {
	if sc.cl == nil || sc.cl.conn == nil {
		sc.sess.Close()
		return
	}
	var ref json.RawMessage
	if id >= 0 {
		ref = strconv.AppendInt(nil, id, 10)
	}
	sc.cl.settleHold(nil)
	sc.g.Metrics.FrameIn("")
	sc.cl.fail(ref, protocol.NewError(protocol.CodeBadRequest, msg), true)
}

// connectAside runs connect on a goroutine of its own and waits for it.
// The token check and the connect's Redis round trips need a deep stack,
// and a goroutine's stack keeps the size it grew to: run on the
// websocket's reader goroutine, they left every idle Socket.IO socket
// with an 8 KB reader stack instead of 4 KB (/ws does the same in
// serveWS).
func (sc *sioConn) connectAside(auth json.RawMessage) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sc.recover()
		sc.connect(auth)
	}()
	<-done
}

// connect authenticates the CONNECT as serveWS does the /ws upgrade:
// auth.token, else the Authorization header, else ?access_token=. A
// refusal is a CONNECT_ERROR {message, data: {code}}.
func (sc *sioConn) connect(auth json.RawMessage) {
	g := sc.g
	var a struct {
		Token string `json:"token"`
	}
	if len(auth) > 0 {
		_ = json.Unmarshal(auth, &a) // a non-string token is no token
	}
	token := a.Token
	if token == "" {
		token = sc.sess.BearerHeader
	}
	if token == "" {
		token = sc.sess.BearerQuery
	}
	if token == "" {
		sc.connectError("", "missing access token (auth.token, Authorization: Bearer or access_token)", "unauthorized")
		return
	}
	claims, refused, err := g.authenticate(g.life, token)
	if err != nil {
		g.Log.Error("socket authentication failed", "err", err)
		sc.connectError("", "cannot verify the session right now", string(protocol.CodeUnavailable))
		return
	}
	if refused != "" {
		sc.connectError("", refused, "unauthorized")
		return
	}
	// The per-user socket limit holds here too: a refusal is a
	// connect_error (rate_limited or unavailable), not an HTTP status.
	id, _, err := g.acquireSocket(g.life, claims.UserID)
	switch {
	case err != nil:
		sc.connectError("", "cannot admit a socket right now; retry shortly", string(protocol.CodeUnavailable))
		return
	case id == "":
		sc.connectError("", g.tooManySockets(), string(protocol.CodeRateLimited))
		return
	}
	sc.timer.Stop()
	sc.timer = nil // not kept for the socket's life
	cl := newClient(g, claims, id)
	cl.tr = &sioTransport{sc: sc}
	sc.cl = cl
	ack, _ := json.Marshal(struct {
		SID string `json:"sid"`
	}{id})
	sc.sendDirect(socketio.Packet{Type: socketio.Connect, ID: -1, Data: ack})
	g.register(cl, id)
	sc.conn.Store(cl.conn)
	g.finishConnect(cl)
}

// connectError refuses a CONNECT; the Engine.IO session stays (the client
// may try again with another token) until its ping timeout.
func (sc *sioConn) connectError(ns, msg, code string) {
	b, _ := json.Marshal(connectErrorData{Message: msg, Data: errorCode{Code: code}})
	sc.sendDirect(socketio.Packet{Type: socketio.ConnectError, Namespace: ns, ID: -1, Data: b})
}

type connectErrorData struct {
	Message string    `json:"message"`
	Data    errorCode `json:"data"`
}

type errorCode struct {
	Code string `json:"code"`
}

// serveSIO serves /socket.io/. A new session is refused while the
// gateway cannot take sockets (as serveWS): the client's manager retries
// by itself, elsewhere behind a load balancer.
func (g *Gateway) serveSIO(c *gin.Context) {
	if c.Request.URL.Query().Get("sid") == "" {
		switch {
		case g.draining.Load():
			web.WriteProblem(c, http.StatusServiceUnavailable, "the gateway is shutting down; connect to another one")
			return
		case !g.events.Started():
			c.Header("Retry-After", "1")
			web.WriteProblem(c, http.StatusServiceUnavailable, "the gateway is starting; retry shortly")
			return
		}
	}
	g.eio.ServeHTTP(c.Writer, c.Request)
}

// newEngineIO configures the Engine.IO server: its pings, the payload cap
// (a POST may batch several packets: four frames' worth, as /ws's hard
// cap), the send buffer and the session ids that name this gateway.
func (g *Gateway) newEngineIO() *engineio.Server {
	timeout := g.cfg.SIOPingTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	return engineio.NewServer(engineio.Config{
		PingInterval: g.cfg.PingInterval,
		PingTimeout:  timeout,
		MaxPayload:   4 * g.cfg.MaxFrameBytes,
		SendBuffer:   g.cfg.SendBuffer,
		WriteWait:    g.cfg.WriteWait,
		AllowOrigin:  g.cfg.SIOAllowOrigin,
		NewID:        g.newSID,
		Forward:      g.forwardSIO,
		Log:          g.Log,
	}, sioHandler{g})
}
