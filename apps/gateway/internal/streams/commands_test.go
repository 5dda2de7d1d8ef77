package streams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	rdb := testenv.RedisClient(t)
	return rdb
}

// echoAPI answers every command of the command stream with its own data,
// as the api would (one reply per command, to the command's reply stream).
func echoAPI(ctx context.Context, t *testing.T, rdb *redis.Client) {
	last := "0"
	for ctx.Err() == nil {
		res, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{messaging.CommandStream, last}, Count: 512, Block: 100 * time.Millisecond}).Result()
		if err != nil {
			continue
		}
		for _, m := range res[0].Messages {
			last = m.ID
			c, err := messaging.ParseCommand(m.Values)
			if err != nil {
				t.Errorf("malformed command: %v", err)
				continue
			}
			r := messaging.Reply{Ref: c.Ref, OK: true, Data: c.Data}
			_ = rdb.XAdd(ctx, &redis.XAddArgs{Stream: c.Reply, Values: r.Values()}).Err()
		}
	}
}

// Concurrent callers share pipelines: every command is appended exactly
// once and each caller gets its own reply.
func TestCommanderPipelinesConcurrentCommands(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := NewCommander(rdb, "gw-test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	var bg sync.WaitGroup
	bg.Go(func() { _ = c.Run(ctx) })
	bg.Go(func() { echoAPI(ctx, t, rdb) })
	defer bg.Wait()
	defer cancel()

	const callers, each = 50, 20
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			for j := range each {
				cctx, done := context.WithTimeout(ctx, 10*time.Second)
				want := i*1000 + j
				r, err := c.Do(cctx, messaging.CmdSendMessage, "u", "s", want)
				done()
				if err != nil {
					t.Errorf("Do: %v", err)
					return
				}
				var got int
				if err := json.Unmarshal(r.Data, &got); err != nil || got != want {
					t.Errorf("reply data = %s, want %d", r.Data, want)
				}
			}
		})
	}
	wg.Wait()
	if n := rdb.XLen(ctx, messaging.CommandStream).Val(); n != callers*each {
		t.Errorf("command stream holds %d entries, want %d", n, callers*each)
	}
}

// A caller whose context is done before its batch is sent appends nothing
// and does not stall the callers queued with it.
func TestCommanderDoneContext(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := NewCommander(rdb, "gw-test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	var bg sync.WaitGroup
	bg.Go(func() { _ = c.Run(ctx) })
	bg.Go(func() { echoAPI(ctx, t, rdb) })
	defer bg.Wait()
	defer cancel()

	done, stop := context.WithCancel(ctx)
	stop()
	if _, err := c.Do(done, messaging.CmdSendMessage, "u", "s", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a done context: err = %v, want context.Canceled", err)
	}
	cctx, cdone := context.WithTimeout(ctx, 10*time.Second)
	defer cdone()
	if _, err := c.Do(cctx, messaging.CmdSendMessage, "u", "s", 2); err != nil {
		t.Errorf("Do after: %v", err)
	}
	if n := rdb.XLen(ctx, messaging.CommandStream).Val(); n != 1 {
		t.Errorf("command stream holds %d entries, want 1", n)
	}
}

// runCommander runs c's reply reader and an echo api on rdb until the test
// ends.
func runCommander(t *testing.T, c *Commander, rdb *redis.Client) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var bg sync.WaitGroup
	bg.Go(func() { _ = c.Run(ctx) })
	bg.Go(func() { echoAPI(ctx, t, rdb) })
	t.Cleanup(func() { cancel(); bg.Wait() })
	return ctx
}

// gatedPipelines is a hook on the appends client: it records how many
// XADDs each pipeline carries and holds the first one until release is
// closed, so that a test can queue callers behind it.
type gatedPipelines struct {
	entered chan struct{} // closed when the first pipeline is held
	release chan struct{}

	mu    sync.Mutex
	sizes []int
}

func newGatedPipelines() *gatedPipelines {
	return &gatedPipelines{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedPipelines) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (g *gatedPipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (g *gatedPipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		n := 0
		for _, cmd := range cmds {
			if cmd.Name() == "xadd" {
				n++
			}
		}
		if n > 0 { // not the connection's own set-up
			g.mu.Lock()
			g.sizes = append(g.sizes, n)
			first := len(g.sizes) == 1
			g.mu.Unlock()
			if first {
				close(g.entered)
				<-g.release
			}
		}
		return next(ctx, cmds)
	}
}

func (g *gatedPipelines) batches() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.sizes)
}

// waitQueued waits until n callers are queued for the next pipeline.
func waitQueued(t *testing.T, c *Commander, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.qmu.Lock()
		got := len(c.queue)
		c.qmu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callers queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// doAsync runs Do(data) with its own context on a goroutine; the result
// comes on the returned channel (an error if the reply is not data).
func doAsync(ctx context.Context, c *Commander, data int) <-chan error {
	res := make(chan error, 1)
	go func() {
		r, err := c.Do(ctx, messaging.CmdSendMessage, "u", "s", data)
		if err == nil {
			var got int
			if jerr := json.Unmarshal(r.Data, &got); jerr != nil || got != data {
				err = fmt.Errorf("reply data = %s, want %d", r.Data, data)
			}
		}
		res <- err
	}()
	return res
}

// result waits for a doAsync result; a caller that never returns is a hang
// of the pipelining (no one sends its batch).
func result(t *testing.T, res <-chan error) error {
	t.Helper()
	select {
	case err := <-res:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Do never returned")
		return nil
	}
}

// appended returns the data of every command in the command stream, in
// order.
func appended(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	msgs, err := rdb.XRange(t.Context(), messaging.CommandStream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]string, 0, len(msgs))
	for _, m := range msgs {
		cmd, err := messaging.ParseCommand(m.Values)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, string(cmd.Data))
	}
	return data
}

// Callers that queue while a pipeline is in flight are sent together, as
// one pipeline, by the first of them.
func TestCommanderBatchesQueuedCommands(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	c := NewCommander(rdb, "gw-test", slog.New(slog.DiscardHandler))
	gate := newGatedPipelines()
	c.appends.AddHook(gate)
	ctx := runCommander(t, c, rdb)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()

	first := doAsync(cctx, c, 0)
	<-gate.entered
	const queued = 8
	var rest []<-chan error
	for i := 1; i <= queued; i++ {
		rest = append(rest, doAsync(cctx, c, i))
	}
	waitQueued(t, c, queued)
	close(gate.release)

	for _, res := range append([]<-chan error{first}, rest...) {
		if err := result(t, res); err != nil {
			t.Errorf("Do: %v", err)
		}
	}
	if got := gate.batches(); !slices.Equal(got, []int{1, queued}) {
		t.Errorf("XADDs per pipeline = %v, want [1 %d]", got, queued)
	}
	if n := len(appended(t, rdb)); n != queued+1 {
		t.Errorf("command stream holds %d entries, want %d", n, queued+1)
	}
}

// A caller whose context ends while it waits in a batch gets its context's
// error and appends nothing; the live callers of the batch are sent and
// answered, also when the cancelled caller was the one handed the batch to
// send.
func TestCommanderCancelledWhileQueued(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	c := NewCommander(rdb, "gw-test", slog.New(slog.DiscardHandler))
	gate := newGatedPipelines()
	c.appends.AddHook(gate)
	ctx := runCommander(t, c, rdb)
	live, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()

	first := doAsync(live, c, 1)
	<-gate.entered
	// Queued in this order: 2 (to be handed the batch), 3, 4, 5.
	var queued []<-chan error
	cancels := map[int]context.CancelFunc{}
	for i, data := range []int{2, 3, 4, 5} {
		cctx := live
		if data == 2 || data == 4 {
			var stop context.CancelFunc
			cctx, stop = context.WithCancel(live)
			cancels[data] = stop
		}
		queued = append(queued, doAsync(cctx, c, data))
		waitQueued(t, c, i+1)
	}
	for _, stop := range cancels {
		stop()
	}
	close(gate.release)

	if err := result(t, first); err != nil {
		t.Errorf("Do 1: %v", err)
	}
	for i, data := range []int{2, 3, 4, 5} {
		err := result(t, queued[i])
		switch _, cancelled := cancels[data]; {
		case cancelled && !errors.Is(err, context.Canceled):
			t.Errorf("Do %d (cancelled while queued): err = %v, want context.Canceled", data, err)
		case !cancelled && err != nil:
			t.Errorf("Do %d: %v", data, err)
		}
	}
	if got := gate.batches(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("XADDs per pipeline = %v, want [1 2]", got)
	}
	if got := appended(t, rdb); !slices.Equal(got, []string{"1", "3", "5"}) {
		t.Errorf("command stream holds %v, want [1 3 5]", got)
	}
}

// lateReplies is a hook on the appends client that delays the replies to
// the first pipeline carrying marker beyond the client's ReadTimeout:
// Redis runs its XADDs, the client times out reading their replies.
type lateReplies struct {
	marker []byte
	delay  time.Duration
	fired  atomic.Bool
}

func (h *lateReplies) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &lateConn{Conn: conn, h: h}, nil
	}
}

func (h *lateReplies) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *lateReplies) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

type lateConn struct {
	net.Conn
	h    *lateReplies
	late atomic.Bool // the next read is of the marked pipeline's replies
}

func (c *lateConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, c.h.marker) && c.h.fired.CompareAndSwap(false, true) {
		c.late.Store(true)
	}
	return c.Conn.Write(p)
}

func (c *lateConn) Read(p []byte) (int, error) {
	if c.late.CompareAndSwap(true, false) {
		// The read deadline go-redis set passes meanwhile: the read below
		// fails with a timeout, the reply still unread.
		time.Sleep(c.h.delay)
	}
	return c.Conn.Read(p)
}

// A pipeline whose replies come after the read timeout is not sent again:
// its XADD ran once, so sending it again would run the command twice.
func TestCommanderDoesNotResendTimedOutPipeline(t *testing.T) {
	t.Parallel()
	opts, err := redis.ParseURL(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	short := *opts
	short.ReadTimeout = 500 * time.Millisecond
	crdb := redis.NewClient(&short)
	t.Cleanup(func() { _ = crdb.Close() })
	c := NewCommander(crdb, "gw-test", slog.New(slog.DiscardHandler))
	late := &lateReplies{marker: []byte(`"late"`), delay: 3 * short.ReadTimeout}
	c.appends.AddHook(late)
	ctx := runCommander(t, c, rdb)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()

	_, err = c.Do(cctx, messaging.CmdSendMessage, "u", "s", "late")
	if !late.fired.Load() {
		t.Fatal("the pipeline was not delayed")
	}
	if err == nil {
		t.Error("Do succeeded although its pipeline timed out: it was sent again")
	}
	if _, err := c.Do(cctx, messaging.CmdSendMessage, "u", "s", "after"); err != nil {
		t.Errorf("Do after the timeout: %v", err)
	}
	if got := appended(t, rdb); !slices.Equal(got, []string{`"late"`, `"after"`}) {
		t.Errorf("command stream holds %v, want [\"late\" \"after\"]", got)
	}
}
