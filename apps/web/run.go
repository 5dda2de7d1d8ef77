package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/httpserver"
	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/pprofserver"
)

const usage = `usage:
  web [serve]   serve the web chat app on WEB_ADDR
Configuration comes from the environment; see .env.example.
`

// run is the whole program; main only adds the signal context and the exit
// code.
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	switch {
	case len(args) == 0 || (args[0] == "serve" && len(args) == 1):
		return serve(ctx, environ, stdout)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}

func serve(ctx context.Context, environ []string, stdout io.Writer) error {
	cfg, err := config.Parse[Config](environ)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log, err := logging.New(stdout, cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log.InfoContext(ctx, "web starting", "config", config.Masked(cfg))
	if err := pprofserver.Start(ctx, cfg.PprofAddr, log); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	reg := metrics.NewRegistry()
	h, err := newHandler(cfg, log, reg)
	if err != nil {
		return err
	}
	return httpserver.Run(ctx, log, cfg.Addr, h, cfg.ShutdownTimeout)
}
