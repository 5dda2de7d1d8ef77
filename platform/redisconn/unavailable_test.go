package redisconn_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/outage"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/testenv"
)

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// fakeRedis serves RESP on a free port: PING answers PONG, HELLO is
// unknown (the client falls back to RESP2), and every other command gets
// reply(name), or the connection closed when reply returns "".
func fakeRedis(t *testing.T, reply func(cmd string) string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveFake(c, reply)
		}
	}()
	return l.Addr().String()
}

func serveFake(c net.Conn, reply func(string) string) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		var out string
		switch name := strings.ToUpper(args[0]); name {
		case "PING":
			out = "+PONG\r\n"
		case "HELLO":
			out = "-ERR unknown command 'HELLO'\r\n"
		case "CLIENT":
			out = "+OK\r\n"
		default:
			out = reply(name)
		}
		if out == "" {
			return
		}
		if _, err := c.Write([]byte(out)); err != nil {
			return
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad array header %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		s, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(s, "\r\n")
	}
	return args, nil
}

func TestClassifyRealErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	// A plain go-redis client (no hook): Classify alone must see it.
	refused := redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1})
	t.Cleanup(func() { _ = refused.Close() })
	errRefused := refused.Ping(ctx).Err()

	loading := redis.NewClient(&redis.Options{Addr: fakeRedis(t, func(string) string {
		return "-LOADING Redis is loading the dataset in memory\r\n"
	}), MaxRetries: -1})
	t.Cleanup(func() { _ = loading.Close() })
	errLoading := loading.Get(ctx, "k").Err()

	dropped := redis.NewClient(&redis.Options{Addr: fakeRedis(t, func(string) string { return "" }), MaxRetries: -1})
	t.Cleanup(func() { _ = dropped.Close() })
	errDropped := dropped.Get(ctx, "k").Err()

	// One connection, held by a blocked command: the next one waits for the
	// pool until PoolTimeout.
	stuck := redis.NewClient(&redis.Options{Addr: fakeRedis(t, func(cmd string) string {
		if cmd == "BLPOP" {
			time.Sleep(2 * time.Second)
		}
		return "$-1\r\n"
	}), PoolSize: 1, PoolTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = stuck.Close() })
	go stuck.BLPop(ctx, 0, "q")
	time.Sleep(300 * time.Millisecond)
	errPool := stuck.Get(ctx, "k").Err()

	closed := redis.NewClient(&redis.Options{Addr: closedAddr(t)})
	_ = closed.Close()
	errClosed := closed.Get(ctx, "k").Err()

	cancelled, stop := context.WithCancel(ctx)
	stop()

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", errRefused, true},
		{"LOADING", errLoading, true},
		{"connection closed by the server", errDropped, true},
		{"pool timeout", errPool, true},
		{"client closed", errClosed, true},
		{"deadline exceeded", context.DeadlineExceeded, true},
		{"redis.Nil", redis.Nil, false},
		{"command error", errors.New("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{"cancelled", refused.Ping(cancelled).Err(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to classify")
			}
			got := redisconn.Classify(tt.err)
			if is := errors.Is(got, outage.ErrUnavailable); is != tt.want {
				t.Errorf("Classify(%v) unavailable = %v, want %v", tt.err, is, tt.want)
			}
			if !errors.Is(got, tt.err) || got.Error() != tt.err.Error() {
				t.Errorf("Classify(%v) = %v: lost its cause or text", tt.err, got)
			}
			if tt.want && outage.Dependency(got) != "redis" {
				t.Errorf("Dependency = %q, want redis", outage.Dependency(got))
			}
		})
	}
}

// TestOpenMarksCommandErrors checks the client made by Open marks what its
// commands and pipelines return, and leaves redis.Nil alone.
func TestOpenMarksCommandErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	addr := fakeRedis(t, func(cmd string) string {
		if cmd == "GET" {
			return "$-1\r\n" // nil
		}
		return "" // drop the connection
	})
	rdb, err := redisconn.Open(ctx, config.Redis{URL: "redis://" + addr + "/0"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })

	if err := rdb.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) || errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("GET of a missing key = %v, want redis.Nil unmarked", err)
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); !errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("SET on a dropped connection = %v, want outage.ErrUnavailable", err)
	}
	var set *redis.StatusCmd
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.Set(ctx, "k", "v", 0)
		return nil
	})
	if !errors.Is(err, outage.ErrUnavailable) || !errors.Is(set.Err(), outage.ErrUnavailable) {
		t.Errorf("pipeline = %v, SET in it = %v; want both outage.ErrUnavailable", err, set.Err())
	}

	// And Open itself, when the server is not there.
	_, err = redisconn.Open(ctx, config.Redis{URL: "redis://" + closedAddr(t) + "/0"})
	if !errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("Open without a server = %v, want outage.ErrUnavailable", err)
	}
}

// TestOpenWorks checks the hook leaves a healthy client's answers alone.
func TestOpenWorks(t *testing.T) {
	t.Parallel()
	rdb, err := redisconn.Open(t.Context(), config.Redis{URL: testenv.Redis(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Get(t.Context(), "missing").Err(); err != redis.Nil { //nolint:errorlint // Nil must stay comparable with ==
		t.Errorf("GET missing = %v, want redis.Nil itself", err)
	}
}
