// Package httpserver runs an http.Handler with production timeouts and a
// graceful shutdown tied to a context, so that every binary stops the same
// way on SIGTERM: stop accepting, let in-flight requests finish, then go.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	// readHeaderTimeout bounds how long a client may take to send request
	// headers (slowloris). By default there is no ReadTimeout or
	// WriteTimeout: they would cut WebSocket and long-polling connections.
	// A server without those (the REST api) sets them with WithTimeouts.
	readHeaderTimeout = 5 * time.Second
	// idleTimeout closes keep-alive connections left unused this long.
	idleTimeout = 120 * time.Second
)

// Option tunes the server Run starts.
type Option func(*http.Server)

// WithTimeouts bounds each request: read is the time to read a request,
// headers and body (http.Server.ReadTimeout: a client trickling its body
// holds a connection and a handler no longer than that); write is the time
// from the end of the request headers to the end of the response
// (http.Server.WriteTimeout: a response late beyond it is cut off and the
// connection closed). Zero leaves that side unbounded. Never use it on a
// server that upgrades to WebSockets or long-polls: it would cut those
// connections off.
//
// The write timeout does not stop a slow handler, which runs on until it
// returns (it only loses its response); deadlines inside the handler
// (database statement timeouts, client timeouts) bound the work itself.
func WithTimeouts(read, write time.Duration) Option {
	return func(s *http.Server) {
		s.ReadTimeout = read
		s.WriteTimeout = write
	}
}

// Run serves h on addr until ctx is done, then shuts down gracefully within
// shutdownTimeout: it stops accepting connections and waits for in-flight
// requests; when the timeout expires it closes the remaining connections and
// returns an error. It returns nil on a clean shutdown, and a listen or serve
// error as soon as it happens.
//
// Request contexts keep ctx's values but not its cancellation, so that
// cancelling ctx lets in-flight requests finish instead of failing them.
// Hijacked connections (WebSockets) are not tracked by the shutdown: their
// owner must close them on ctx.Done.
func Run(ctx context.Context, log *slog.Logger, addr string, h http.Handler, shutdownTimeout time.Duration, opts ...Option) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("httpserver: listen on %s: %w", addr, err)
	}
	return serve(ctx, log, ln, h, shutdownTimeout, opts...)
}

// serve is Run on an open listener, which it closes; tests use it to learn
// the bound address.
func serve(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, opts ...Option) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	for _, o := range opts {
		o(srv)
	}
	fresh := &freshConns{m: make(map[net.Conn]struct{})}
	srv.ConnState = fresh.track

	// Buffered: Serve's result must not block the goroutine after Run has
	// returned on a shutdown error.
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.InfoContext(ctx, "http server listening", slog.String("addr", ln.Addr().String()),
		slog.Duration("read_timeout", srv.ReadTimeout), slog.Duration("write_timeout", srv.WriteTimeout))

	select {
	case err := <-served:
		// Serve only returns early on a listener failure.
		return fmt.Errorf("httpserver: serve: %w", err)
	case <-ctx.Done():
	}

	log.InfoContext(ctx, "http server shutting down", slog.Duration("timeout", shutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(shutdownCtx) }()
	// Shutdown counts a connection that has not sent its first request as
	// busy for 5 s (net/http, Go issue 22682), so one client that dialled
	// and never asked outlasted a shorter timeout (a gateway exited 1 with
	// no request in flight). No request will come: the listeners are
	// closed, so such connections are closed until Shutdown is done.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		select {
		case err = <-shut:
			break wait
		case <-tick.C:
			fresh.closeAll()
		}
	}
	if err != nil {
		// In-flight requests outlived the timeout: cut them off.
		closeErr := srv.Close()
		<-served
		return errors.Join(fmt.Errorf("httpserver: graceful shutdown: %w", err), closeErr)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpserver: serve: %w", err)
	}
	log.InfoContext(ctx, "http server stopped")
	return nil
}

// freshConns tracks the connections whose first request has not started
// (http.StateNew).
type freshConns struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

func (f *freshConns) track(c net.Conn, state http.ConnState) {
	f.mu.Lock()
	if state == http.StateNew {
		f.m[c] = struct{}{}
	} else {
		delete(f.m, c)
	}
	f.mu.Unlock()
}

func (f *freshConns) closeAll() {
	f.mu.Lock()
	for c := range f.m {
		_ = c.Close()
		delete(f.m, c)
	}
	f.mu.Unlock()
}
