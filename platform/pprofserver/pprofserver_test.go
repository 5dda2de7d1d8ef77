package pprofserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestStartServesProfilesUntilCancelled(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	if err := Start(t.Context(), "", log); err != nil {
		t.Fatalf("empty addr: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	if err := Start(ctx, addr, log); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("status %d: %.80s", resp.StatusCode, body)
	}
	if err := Start(t.Context(), addr, log); err == nil {
		t.Error("a second listener on the same address started")
	}
	cancel()
}
