package httpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startServe runs serve on a loopback port and returns its URL and result.
func startServe(t *testing.T, ctx context.Context, h http.Handler, timeout time.Duration) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, discard(), ln, h, timeout) }()
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
