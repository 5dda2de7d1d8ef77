package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/httpserver"
	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/pprofserver"
)

const usage = `usage:
  api [serve]                  serve the REST API on API_ADDR
  api migrate up|down|status   apply, roll back one, or list database migrations
Configuration comes from the environment; see .env.example.
`

// run is the whole program; main only adds the signal context and the exit
// code. It writes logs to stdout and returns what went wrong.
// apiGCPercent is the api's GOGC unless the environment sets one.
const apiGCPercent = 400

func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		if len(args) != 0 {
			return fmt.Errorf("serve takes no arguments\n%s", usage)
		}
		return serve(ctx, environ, stdout)
	case "migrate":
		if len(args) != 1 || !slices.Contains([]string{"up", "down", "status"}, args[0]) {
			return fmt.Errorf("migrate wants one of up, down, status\n%s", usage)
		}
		return migrate(ctx, args[0], environ, stdout)
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

// serve runs the API until ctx is done, then drains in-flight requests and
// closes its connections.
func serve(ctx context.Context, environ []string, stdout io.Writer) error {
	cfg, err := config.Parse[Config](environ)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log, err := logging.New(stdout, cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log.InfoContext(ctx, "api starting", "config", config.Masked(cfg))
	if err := pprofserver.Start(ctx, cfg.PprofAddr, log); err != nil {
		return err
	}
	// gin's debug mode prints plain-text lines among the JSON logs.
	gin.SetMode(gin.ReleaseMode)
	// The api's live heap is small and short-lived garbage is most of
	// what it allocates (rows, events, replies): at Go's default GOGC=100
	// the collector took a fifth of its CPU at 2,000 msgs/s. GOGC, when
	// set, still decides.
	if !slices.ContainsFunc(environ, func(kv string) bool { return strings.HasPrefix(kv, "GOGC=") }) {
		debug.SetGCPercent(apiGCPercent)
	}

	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.close()

	h, runners, err := newHandler(cfg, d)
	if err != nil {
		return err
	}
	// Revocations and the per-user limit answered from memory.
	runners = append(runners, d.revocations.Run, func(ctx context.Context) error {
		return d.limiter.Run(ctx, cfg.RateLimitSyncInterval)
	})
	// Background loops outlive the signal until the HTTP server has drained,
	// so what in-flight requests store is still relayed by this instance.
	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() {
			if err := r(bgCtx); err != nil {
				log.ErrorContext(bgCtx, "background loop stopped", "err", err)
			}
		})
	}
	err = httpserver.Run(ctx, log, cfg.Addr, h, cfg.HTTPShutdownTimeout,
		httpserver.WithTimeouts(cfg.HTTPReadTimeout, cfg.HTTPWriteTimeout))
	stopBg()
	wg.Wait()
	return err
}

// migrateConfig is what "api migrate" needs: no Redis, no keys.
type migrateConfig struct {
	config.Postgres `envPrefix:""`
	LogLevel        string `env:"LOG_LEVEL" envDefault:"info"`
}

func migrate(ctx context.Context, command string, environ []string, stdout io.Writer) error {
	cfg, err := config.Parse[migrateConfig](environ)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log, err := logging.New(stdout, cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return database.Migrate(ctx, cfg.URL, migrations.FS, command, log)
}
