package scenario

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatforge/chat/tests/load/internal/seed"
	"github.com/chatforge/chat/tests/load/internal/wsclient"
)

// Shard is the clients from..to-1 of a workload, in this process.
type Shard struct {
	cfg      Config
	seed     seed.File
	from, to int
	clients  []*client
	dialers  []*wsclient.Dialer
	cur      atomic.Pointer[stepState]
}

// client is one socket. lastSeq is touched only by its reader goroutine;
// the counters are reset at the start of each step.
type client struct {
	idx     int
	room    string
	conn    *wsclient.Conn
	joined  chan string // "" on the join ack, else the error code
	isIn    bool        // joined its room (set during setup only)
	lastSeq int64
	ts      tsCache // the reader goroutine's
	sent    atomic.Int64
	acked   atomic.Int64
	pending atomic.Int64
}

// NewShard prepares clients from..to-1.
func NewShard(cfg Config, s seed.File, from, to int) *Shard {
	sh := &Shard{cfg: cfg, seed: s, from: from, to: to}
	// A polling client holds one connection (its pending GET) and one more
	// while it POSTs; the pool is bounded a little above that.
	perURL := (to-from)/max(len(cfg.URLs), 1) + 1
	var spread []string
	if cfg.PollSpread {
		spread = cfg.URLs
	}
	for _, u := range cfg.URLs {
		sh.dialers = append(sh.dialers, &wsclient.Dialer{URL: u, SourceIPs: cfg.SourceIPs, QueryToken: cfg.QueryToken, SocketIO: cfg.SocketIO, ReadTime: cfg.ReadTime,
			Polling: cfg.Polling, MaxConns: perURL + perURL/2 + 64, SpreadURLs: spread, HandshakeTimeout: 15 * time.Second})
	}
	sh.cur.Store(newStepState(cfg, Step{N: -1}))
	return sh
}

// Setup connects every client (DialParallel handshakes at a time, so the
// gateways' accept queues never overflow) and joins its room.
func (sh *Shard) Setup(ctx context.Context) *SetupResult {
	start := time.Now()
	res := newSetup(sh.to - sh.from)
	tokens, err := sh.seed.Tokens(sh.cfg.FirstUser+sh.from, sh.cfg.FirstUser+sh.to)
	if err != nil {
		res.ConnectFailed = res.Clients
		res.Errors[err.Error()]++
		return res
	}
	if sh.cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sh.cfg.ConnectTimeout)
		defer cancel()
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, max(sh.cfg.DialParallel, 1))
	)
	sh.clients = make([]*client, sh.to-sh.from)
	for i := range sh.clients {
		cl := &client{idx: sh.from + i, room: sh.cfg.room(sh.seed, sh.from+i), joined: make(chan string, 1)}
		sh.clients[i] = cl
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			mu.Lock()
			res.ConnectFailed++
			res.Errors["setup timed out"]++
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			phase, err := sh.connect(ctx, cl, tokens[i], res, &mu)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && phase == "connect":
				res.ConnectFailed++
				res.Errors[shortErr(err)]++
			case err != nil:
				res.Connected++
				res.JoinFailed++
				res.Errors["join: "+shortErr(err)]++
			default:
				res.Connected++
				if cl.room != "" {
					res.Joined++
					res.RoomJoined[cl.room]++
				}
			}
		})
	}
	wg.Wait()
	res.WallSec = time.Since(start).Seconds()
	return res
}

func (sh *Shard) connect(ctx context.Context, cl *client, token string, res *SetupResult, mu *sync.Mutex) (string, error) {
	t0 := time.Now()
	conn, err := sh.dialers[cl.idx%len(sh.dialers)].Dial(ctx, cl.idx, token, func(c *wsclient.Conn, f []byte, at time.Time) {
		sh.onFrame(cl, f, at)
	})
	if err != nil {
		return "connect", err
	}
	res.Connect.Record(time.Since(t0))
	mu.Lock()
	cl.conn = conn
	mu.Unlock()
	if cl.room == "" {
		return "", nil
	}
	t1 := time.Now()
	if err := conn.Send("join-room", "j", []byte(`{"roomId":"`+cl.room+`"}`)); err != nil {
		return "join", err
	}
	select {
	case code := <-cl.joined:
		if code != "" {
			return "join", fmt.Errorf("error %s", code)
		}
	case <-conn.Done():
		return "join", fmt.Errorf("closed (%d)", conn.CloseCode())
	case <-ctx.Done():
		return "join", ctx.Err()
	}
	res.Join.Record(time.Since(t1))
	cl.isIn = true
	return "", nil
}

// Close says goodbye on every socket.
func (sh *Shard) Close() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, cl := range sh.clients {
		if cl == nil || cl.conn == nil {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cl.conn.Close()
		})
	}
	wg.Wait()
}

// addrRE matches the addresses and ports that make every error unique.
var addrRE = regexp.MustCompile(`(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\])(:\d+)?`)

// shortErr keeps error counts readable: addresses and ports vary.
func shortErr(err error) string {
	s := addrRE.ReplaceAllString(err.Error(), "<addr>")
	if len(s) > 140 {
		s = s[:140]
	}
	return s
}
