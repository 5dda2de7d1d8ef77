package httpserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startServe runs serve on a loopback port and returns its URL and result.
func startServe(t *testing.T, ctx context.Context, h http.Handler, timeout time.Duration, opts ...Option) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, discard(), ln, h, timeout, opts...) }()
	return "http://" + ln.Addr().String(), done
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		// The request context must survive the server's ctx being cancelled.
		if err := r.Context().Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "done")
	})

	ctx, cancel := context.WithCancel(context.Background())
	url, done := startServe(t, ctx, h, 5*time.Second)

	type resp struct {
		code int
		body string
		err  error
	}
	got := make(chan resp, 1)
	go func() {
		res, err := http.Get(url)
		if err != nil {
			got <- resp{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- resp{code: res.StatusCode, body: string(b), err: err}
	}()

	<-started
	cancel()
	// Shutdown must wait for the request rather than return.
	select {
	case err := <-done:
		t.Fatalf("serve returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)

	r := <-got
	if r.err != nil || r.code != http.StatusOK || r.body != "done" {
		t.Errorf("in-flight request: code %d body %q err %v; want 200 done", r.code, r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve = %v, want nil on clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
	if _, err := http.Get(url); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestShutdownTimeoutClosesConnections(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		// Outlives the shutdown timeout; returns once the forced close has
		// cancelled the request, or when the test ends.
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	url, done := startServe(t, ctx, h, 50*time.Millisecond)

	clientErr := make(chan error, 1)
	go func() {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
		}
		clientErr <- err
	}()
	<-started
	cancel()

	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("serve = %v, want a deadline error", err)
		}
	case <-time.After(time.Second):
		t.Fatal("serve did not honour the shutdown timeout")
	}
	if err := <-clientErr; err == nil {
		t.Error("the cut-off request succeeded; want a connection error")
	}
}

func TestRunReturnsListenError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	errc := make(chan error, 1)
	go func() {
		errc <- Run(context.Background(), discard(), ln.Addr().String(), http.NotFoundHandler(), time.Second)
	}()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("Run on a busy port = nil, want an error")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return the listen error at once")
	}
}

// slowBody sends a request whose body never finishes and returns the status
// line the server answers within wait ("" if none).
func slowBody(t *testing.T, url string, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line)
}

// readBody answers 200 once it has the whole body, 408 when reading fails.
var readBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		w.WriteHeader(http.StatusRequestTimeout)
		return
	}
	io.WriteString(w, "ok")
})

func TestWithTimeoutsBoundsReadingTheRequest(t *testing.T) {
	t.Parallel()
	url, _ := startServe(t, t.Context(), readBody, time.Second, WithTimeouts(100*time.Millisecond, time.Second))
	if got := slowBody(t, url, 2*time.Second); got != "HTTP/1.1 408 Request Timeout" {
		t.Errorf("trickled body answered %q, want the handler's read to time out (408)", got)
	}
}

func TestWithTimeoutsBoundsTheResponse(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "late")
	})
	url, _ := startServe(t, t.Context(), h, time.Second, WithTimeouts(time.Second, 100*time.Millisecond))
	res, err := http.Get(url)
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		t.Errorf("a response late past the write timeout arrived: %d %q", res.StatusCode, b)
	}
}

// Without WithTimeouts (the gateway: WebSockets, long polling) a request
// may take as long as it needs.
func TestNoTimeoutsByDefault(t *testing.T) {
	t.Parallel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "late")
	})
	url, _ := startServe(t, t.Context(), h, time.Second)
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("slow response without timeouts: %v", err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); string(b) != "late" {
		t.Errorf("body %q", b)
	}
	if got := slowBody(t, url, 300*time.Millisecond); got != "" {
		t.Errorf("trickled body answered %q without a read timeout, want no answer yet", got)
	}
}

// A client that connected and never sent a request does not hold the
// shutdown: net/http counts such a connection as busy for 5 s, longer
// than this 1 s timeout, which ended in "graceful shutdown: context
// deadline exceeded" (a gateway's exit status 1).
func TestShutdownClosesConnectionsWithoutRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, done := startServe(t, ctx, http.NotFoundHandler(), time.Second)
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(100 * time.Millisecond) // accepted, no request sent
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown with an idle new connection: %v", err)
	}
}
