// Command web serves the chatforge web chat app: the static files of the
// app (static/) and of the JavaScript SDK it is built on (sdk/), embedded in
// the binary, plus /config.json telling the app where the api and the
// gateway are, and /healthz, /readyz, /metrics like every binary.
//
// It is a binary of its own so that the client scales, deploys and is
// released independently of the api: a new app build never restarts the
// api, and a CDN or any static host can serve the same files instead.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}
