// Package socket is the gateway's WebSocket edge (protocol v1, see
// apps/gateway/README.md): authentication before the upgrade, one melody instance
// holding the sockets, decoding and answering client frames, fan-out of
// room events, typing and presence, revocation, and draining on shutdown.
//
// Concurrency: melody runs one reader goroutine per connection, which
// decodes and rate-checks that connection's frames and queues them
// (frameQueue); a worker goroutine, present only while frames are queued,
// handles them one at a time in order (a command waits for its reply, so a
// connection's commands run in order) while the reader keeps reading.
// Fan-out runs on the event reader goroutine and the pub/sub goroutine;
// they only queue frames (hub), never wait for a client.
package socket

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/olahol/melody"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/apps/gateway/internal/engineio"
	"github.com/chatforge/chat/apps/gateway/internal/gwmetrics"
	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/limits"
	"github.com/chatforge/chat/apps/gateway/internal/streams"
	"github.com/chatforge/chat/apps/gateway/internal/wsout"
	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/tracing"
)

// Config is the gateway's tuning (see apps/gateway config for the
// variables and defaults).
type Config struct {
	GatewayID     string  // random per process; names the reply stream
	MaxFrameBytes int     // larger frames get too_large
	SendBuffer    int     // frames queued per connection before it is dropped as slow
	RatePerSec    float64 // per-connection frame rate
	RateBurst     int     // per-connection burst
	// RateAbuseWindow: sending over twice RatePerSec for about this long
	// closes the connection with 4008 (see limits.FrameRate).
	RateAbuseWindow time.Duration
	UserRate        ratelimit.Limit // per-user rate of commands (send, join, mark-read), all gateways
	BotRate         ratelimit.Limit // the same per bot; zero: UserRate
	BadFrameLimit   int             // strikes tolerated per minute before 4008
	PingInterval    time.Duration   // ping period; a connection silent for 2x is closed
	TypingTTL       time.Duration   // typing ends by itself after this without refresh
	ReplayMax       int             // most messages replayed by join-room
	CommandTimeout  time.Duration   // longest wait for the api's reply
	Partitions      int             // event stream partitions (EVENT_STREAM_PARTITIONS)
	WriteWait       time.Duration   // longest write of one frame; default 10s
	// Socket.IO (Engine.IO) settings: the ping timeout (the ping interval
	// is PingInterval), who may poll from a browser, and how a polling
	// request reaching the wrong gateway finds its session (sio_forward.go).
	SIOPingTimeout time.Duration
	SIOAllowOrigin func(origin string) bool
	AdvertiseAddr  string // host:port other gateways reach this one at; "" = no forwarding
	// GlobalHold is how long the implicit global join holds the room's
	// live frames waiting for the client's first frame (a join-room of it
	// with lastSeq is answered history first); default 2s.
	GlobalHold time.Duration
	// DirectWrites lets whoever sends a frame (the fan-out, an ack) write
	// it at once when nothing is queued on the socket (wsout.Conn.WriteNow)
	// instead of waking melody's writer: an earlier first copy in a very
	// large room, more gateway CPU under many small ones.
	DirectWrites bool
	// QueueMax bounds the frames of one socket waiting for their turn
	// (see frameQueue): past it a frame is refused at once with
	// unavailable and a retry hint; default DefaultQueueMax.
	QueueMax int
	// QueueMaxWait: a frame for the api that waited longer than this in
	// its socket's queue is refused (unavailable, not sent to the api)
	// instead of being sent late; 0 = DefaultQueueMaxWait, negative = no
	// limit.
	QueueMaxWait time.Duration
	// QueueSlowCommand: only a frame queued behind a command slower than
	// this is refused for its wait (a burst behind fast commands is the
	// client's own, and is served); default DefaultQueueSlowCommand.
	QueueSlowCommand time.Duration
}

// Deps are the gateway's collaborators.
type Deps struct {
	Redis       redis.UniversalClient
	Verifier    *authn.Verifier
	Revocations *authn.Revocations
	// Bots admits bot tokens (authn.BotTokenPrefix); nil: the Redis
	// mirror of live bot tokens on Redis.
	Bots    authn.BotResolver
	Limiter *ratelimit.Limiter
	// Sockets limits each user's open sockets across gateways; nil: no
	// limit.
	Sockets  *limits.Sockets
	Presence *presence.Module
	Metrics  *gwmetrics.Metrics
	Log      *slog.Logger
	Config   Config
	Now      func() time.Time
	// Tracing, when on, traces the frames that reach the api and the
	// fan-out of traced events (nil: off).
	Tracing *tracing.Tracing
}

// Gateway holds the sockets of one gateway process.
type Gateway struct {
	Deps
	cfg Config
	m   *melody.Melody
	// clients is each /ws session's client (melody's per-session Keys
	// would cost a map per socket).
	clients wsout.Registry[*client]
	eio     *engineio.Server // Socket.IO's Engine.IO sessions (sio.go)
	// sioTexts: the last frame's Socket.IO translation (sio_transport.go)
	sioTexts sioTexts
	proxy    *httputil.ReverseProxy
	// forwards ends when the drain starts: a forwarded long-poll is held
	// by its owner gateway, and would otherwise keep this one's graceful
	// shutdown waiting (sio_forward.go).
	forwards    context.Context
	endForwards context.CancelFunc
	peers       peers
	hub         *hub.Hub
	cmds        *streams.Commander
	events      *streams.EventReader
	fq          fanoutQueue // from the event reader to runFanout
	typing      *presence.TypingTracker
	prooms      *presence.RoomTracker // who was announced online in which room
	seen        *recentIDs
	rel         *presenceReleases // presence leases of closed sockets, batched
	holds       *holdReleases     // the implicit global joins' holds, ended on time

	life     context.Context // cancelled when the background loops stop
	stop     context.CancelFunc
	draining atomic.Bool
	running  atomic.Bool
	pubsubOK atomic.Bool

	// afterAdd, set by tests only, runs right after a new connection is
	// registered in the hub (fan-out can reach it from then on).
	afterAdd atomic.Pointer[func(*hub.Conn)]
}

// Defaults of Config.
const (
	DefaultGlobalHold   = 2 * time.Second
	DefaultQueueMax     = 64 // above the default burst of WS_RATE_BURST: a healthy burst is never refused
	DefaultQueueMaxWait = 250 * time.Millisecond
	// DefaultQueueSlowCommand is issue 18's healthy p99 (the knee's 50 ms).
	DefaultQueueSlowCommand = 50 * time.Millisecond
)

// closeGrace is how long a closing connection may take to flush its queue
// and close frame before its socket is cut.
const closeGrace = 5 * time.Second

// New builds a gateway; Run starts its background work.
func New(d Deps) (*Gateway, error) {
	if d.Redis == nil || d.Verifier == nil || d.Revocations == nil || d.Presence == nil || d.Metrics == nil {
		return nil, errors.New("socket: Redis, Verifier, Revocations, Presence and Metrics are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Bots == nil {
		d.Bots = authn.NewBotTokens(d.Redis)
	}
	cfg := d.Config
	if cfg.WriteWait <= 0 {
		cfg.WriteWait = 10 * time.Second
	}
	if cfg.GlobalHold <= 0 {
		cfg.GlobalHold = DefaultGlobalHold
	}
	if cfg.QueueMax <= 0 {
		cfg.QueueMax = DefaultQueueMax
	}
	if cfg.QueueMaxWait == 0 {
		cfg.QueueMaxWait = DefaultQueueMaxWait
	}
	if cfg.QueueSlowCommand <= 0 {
		cfg.QueueSlowCommand = DefaultQueueSlowCommand
	}
	g := &Gateway{Deps: d, cfg: cfg, typing: presence.NewTypingTracker(cfg.TypingTTL), prooms: presence.NewRoomTracker(), seen: newRecentIDs(8192)}
	g.life, g.stop = context.WithCancel(context.Background())
	g.holds = newHoldReleases()
	g.rel = &presenceReleases{pres: d.Presence, sockets: d.Sockets, log: d.Log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	g.hub = hub.New(hub.Config{SendLimit: cfg.SendBuffer, OnJoined: g.onJoined}, d.Metrics)
	g.cmds = streams.NewCommander(d.Redis, cfg.GatewayID, d.Log)
	g.fq.ch = make(chan streams.Entry, fanoutQueueLen)
	g.events = streams.NewEventReader(d.Redis, cfg.Partitions, g.queueEvent, d.Log)
	g.m = g.newMelody()
	g.eio = g.newEngineIO()
	g.proxy = g.newProxy()
	g.forwards, g.endForwards = context.WithCancel(context.Background())
	return g, nil
}

// newMelody configures the one melody instance. The read limit is four
// times the frame cap: frames between the two get a too_large error and the
// connection survives; beyond it the websocket layer refuses the frame from
// its header, before reading the payload (a huge frame costs no memory),
// and closes the socket with 4008 (policy violation: gorilla's own 1009
// is rewritten by rewriteTooBig).
func (g *Gateway) newMelody() *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = int64(4 * g.cfg.MaxFrameBytes)
	// A window of the send buffer (see outbox): the hub drops a slow
	// client first, melody's own overflow is a backstop.
	m.Config.MessageBufferSize = wsout.MelodyBuffer
	m.Config.PingPeriod = g.cfg.PingInterval
	// The read deadline moves only when a pong is read. The reader no
	// longer waits for the api (frameQueue), except for the frame in hand
	// when the socket ends; COMMAND_TIMEOUT stays in the margin, as
	// documented. A dead peer is cut after at most this long.
	m.Config.PongWait = 2*g.cfg.PingInterval + g.cfg.CommandTimeout
	m.Config.WriteWait = g.cfg.WriteWait
	// Per socket for its whole life; client frames are small (a larger
	// one only takes more reads).
	m.Upgrader.ReadBufferSize = 512
	m.Upgrader.WriteBufferSize = 1024
	// Idle connections hold no write buffer.
	m.Upgrader.WriteBufferPool = &sync.Pool{}
	// Any origin: sockets authenticate with a bearer token, never with a
	// cookie, so a foreign page cannot ride on the user's credentials.
	m.Upgrader.CheckOrigin = func(*http.Request) bool { return true }

	// Each callback recovers its own panic (see recoverCallback): one
	// unwinding through melody would skip the session's teardown.
	m.HandleConnect(func(s *melody.Session) {
		defer g.recoverConnect(s)
		g.onConnect(s)
	})
	m.HandleDisconnect(g.onDisconnect)
	m.HandleMessage(func(s *melody.Session, frame []byte) {
		defer g.recoverCallback(s, "message")
		g.onMessage(s, frame)
	})
	m.HandleMessageBinary(func(s *melody.Session, frame []byte) {
		defer g.recoverCallback(s, "binary")
		g.onBinary(s, frame)
	})
	// On the writer goroutine, which nothing else recovers.
	m.HandleSentMessage(func(s *melody.Session, _ []byte) {
		defer g.recoverCallback(s, "sent")
		if cl := g.clientOf(s); cl != nil {
			cl.conn.Sent()
			cl.out.Sent()
		}
	})
	// On the reader, the writer or a fan-out goroutine.
	m.HandleError(func(s *melody.Session, err error) {
		defer g.recoverCallback(s, "error")
		g.onError(s, err)
	})
	return m
}

// Routes mounts GET /ws and Socket.IO at /socket.io/.
func (g *Gateway) Routes(r gin.IRoutes) {
	r.GET("/ws", g.serveWS)
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodOptions} {
		r.Handle(method, "/socket.io/", g.serveSIO)
	}
}

// Run runs the background work (reply reader, event reader, pub/sub,
// heartbeats, presence sweeper, typing expiry) until ctx is done, then
// drains: sockets are closed with 1001 (waiting up to drainTimeout) before
// the background work stops. It returns when everything has stopped.
func (g *Gateway) Run(ctx context.Context, drainTimeout time.Duration) error {
	var wg sync.WaitGroup
	loops := []func(context.Context) error{
		g.cmds.Run, g.events.Run, g.runFanout, g.runPubSub, g.runHeartbeats, g.Presence.RunSweeper, g.runTypingExpiry, g.runPeerAnnounce, g.runHoldReleases,
	}
	for _, loop := range loops {
		wg.Go(func() {
			if err := loop(g.life); err != nil {
				g.Log.Error("gateway loop failed", "err", err)
			}
		})
	}
	g.rel.start()
	g.running.Store(true)
	<-ctx.Done()
	g.drain(drainTimeout)
	// Release what the drain left queued before exiting; sockets closing
	// from now on release their own lease.
	g.rel.stop()
	g.stop()
	wg.Wait()
	return nil
}

// Ready is the readiness probe: accepting sockets and connected to Redis.
func (g *Gateway) Ready(ctx context.Context) error {
	switch {
	case g.draining.Load():
		return errors.New("draining")
	case !g.running.Load() || !g.cmds.Ready() || !g.events.Ready():
		return errors.New("streams not connected")
	case !g.pubsubOK.Load():
		return errors.New("pub/sub not subscribed")
	}
	return redisconn.Ping(ctx, g.Redis)
}

// Connections is the number of open sockets.
func (g *Gateway) Connections() int { return g.hub.Len() }

// drain stops accepting sockets and closes every open one with 1001 so
// clients resume on another gateway, waiting for them to go (their
// disconnect handlers release presence), then cuts the stragglers.
func (g *Gateway) drain(timeout time.Duration) {
	g.draining.Store(true)
	n := g.hub.Len()
	g.Log.Info("draining sockets", "connections", n)
	g.hub.Each(func(c *hub.Conn) { c.Close(1001, "server going away") })
	deadline := time.Now().Add(timeout)
	for g.hub.Len() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := g.hub.Len(); left > 0 {
		g.Log.Warn("cutting sockets that did not close in time", "connections", left)
		g.hub.Each(func(c *hub.Conn) { c.Drop() })
	}
	_ = g.m.Close()
	g.endForwards()
	g.eio.Close()
}

// releaseChunk bounds the connections released by one presence call, each
// with releaseTimeout: a drain of 100k sockets takes a few dozen calls.
const (
	releaseChunk   = 5000
	releaseTimeout = 5 * time.Second
)

// presenceReleases queues the presence releases of closing sockets and
// releases them in batches from one goroutine: when many sockets close at
// once (drain, a network cut) a few Redis calls release them all, instead
// of one call per socket competing for the connection pool until their
// timeouts run out. A single close is released at once (the queue is
// empty); under a burst, closes queue up while a batch is in flight.
type presenceReleases struct {
	pres    *presence.Module
	sockets *limits.Sockets // the socket-limit leases go in the same batch
	log     *slog.Logger
	wake    chan struct{} // capacity 1: something was queued, or stop
	done    chan struct{} // closed when run has flushed and returned

	mu      sync.Mutex
	pending []presence.Conn
	running bool // run takes pending; otherwise add releases at once
}

// add releases c's lease: queued while the gateway runs, at once before
// start or after stop.
func (r *presenceReleases) add(c presence.Conn) {
	r.mu.Lock()
	if !r.running {
		r.mu.Unlock()
		r.release([]presence.Conn{c})
		return
	}
	r.pending = append(r.pending, c)
	r.mu.Unlock()
	r.signal()
}

func (r *presenceReleases) signal() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already due
	}
}

// start runs the flusher.
func (r *presenceReleases) start() {
	r.mu.Lock()
	r.running = true
	r.mu.Unlock()
	go r.run()
}

// stop makes add release at once and waits until the flusher has
// released everything queued.
func (r *presenceReleases) stop() {
	r.mu.Lock()
	was := r.running
	r.running = false
	r.mu.Unlock()
	if !was {
		return
	}
	r.signal()
	<-r.done
}

func (r *presenceReleases) run() {
	defer close(r.done)
	for range r.wake {
		r.mu.Lock()
		batch, running := r.pending, r.running
		r.pending = nil
		r.mu.Unlock()
		r.release(batch)
		if !running {
			return
		}
	}
}

// release ends the leases of conns, releaseChunk per presence call. A
// failure is logged once per chunk: those leases expire and a sweep
// announces their users offline.
func (r *presenceReleases) release(conns []presence.Conn) {
	for len(conns) > 0 {
		n := min(len(conns), releaseChunk)
		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		if err := r.pres.DisconnectMany(ctx, conns[:n]); err != nil {
			r.log.Warn("presence disconnect failed", "connections", n, "err", err)
		}
		if r.sockets != nil {
			if err := r.sockets.Release(ctx, leases(conns[:n])); err != nil {
				r.log.Warn("socket lease release failed", "connections", n, "err", err)
			}
		}
		cancel()
		conns = conns[n:]
	}
}

// leases names the socket-limit leases of conns (same ids as presence).
func leases(conns []presence.Conn) []limits.Lease {
	out := make([]limits.Lease, len(conns))
	for i, c := range conns {
		out[i] = limits.Lease{UserID: c.UserID, ConnID: c.ConnID}
	}
	return out
}
