// Package pprofserver serves the Go runtime profiles (net/http/pprof) on a
// listener of their own, opt-in: a binary calls Start with its PPROF_ADDR,
// and nothing listens when that is empty. The profiles stay off the public
// port and its middleware (access log, metrics, rate limits) so profiling
// the hot path does not change it, and so they are never exposed by the
// load balancer. Bind it to 127.0.0.1: profiles reveal internals.
package pprofserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Start listens on addr and serves /debug/pprof/ until ctx is done. An
// empty addr does nothing. The listen error is returned at once, so a bad
// PPROF_ADDR stops the binary at start-up like any other bad setting.
//
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=20
func Start(ctx context.Context, addr string, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("PPROF_ADDR: %w", err)
	}
	if host, _, _ := net.SplitHostPort(addr); !loopback(host) {
		log.WarnContext(ctx, "pprof listens beyond loopback; profiles reveal internals", "addr", ln.Addr().String())
	}
	srv := &http.Server{
		Handler:           Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: a CPU profile or trace streams for ?seconds=N.
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.ErrorContext(ctx, "pprof server stopped", "err", err)
		}
	}()
	log.InfoContext(ctx, "pprof listening", "addr", ln.Addr().String())
	return nil
}

// Handler is the pprof mux: /debug/pprof/ and its named profiles.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, goroutine, allocs, block, mutex, threadcreate
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
