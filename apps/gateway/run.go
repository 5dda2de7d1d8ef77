package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/apps/gateway/internal/gwmetrics"
	"github.com/chatforge/chat/apps/gateway/internal/limits"
	"github.com/chatforge/chat/apps/gateway/internal/socket"
	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/health"
	"github.com/chatforge/chat/platform/httpserver"
	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/pprofserver"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/tracing"
	"github.com/chatforge/chat/platform/web"
)

const usage = `usage:
  gateway        serve WebSockets on GATEWAY_ADDR (GET /ws), Socket.IO (/socket.io/), plus /healthz, /readyz, /metrics
Configuration comes from the environment; see .env.example.
`

// run is the whole program; main only adds the signal context and the exit
// code. Logs go to stdout.
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	if len(args) > 0 {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			_, err := io.WriteString(stdout, usage)
			return err
		}
		return fmt.Errorf("unexpected arguments %q\n%s", args, usage)
	}
	cfg, err := config.Parse[Config](environ)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log, err := logging.New(stdout, cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	gatewayID := newGatewayID()
	log = log.With("gateway", gatewayID)
	log.InfoContext(ctx, "gateway starting", "config", config.Masked(cfg))
	if err := pprofserver.Start(ctx, cfg.PprofAddr, log); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	trace, err := tracing.New(ctx, cfg.Tracing, "chatforge-gateway", log)
	if err != nil {
		return err
	}
	defer trace.Close()

	rdb, err := redisconn.Open(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()
	verifier, err := loadVerifier(ctx, cfg, log)
	if err != nil {
		return err
	}

	reg := metrics.NewRegistry()
	ns := channelSuffix(rdb)
	pres, err := presence.New(presence.Deps{Redis: rdb, Log: log, Config: presence.Config{
		TTL:           cfg.PresenceTTL,
		EventsChannel: presence.DefaultEventsChannel + ns,
		TypingChannel: presence.DefaultTypingChannel + ns,
	}})
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	revocations := authn.NewRevocations(rdb, 0) // read-only here: the ttl is the api's business
	limiter := ratelimit.New(rdb, log)
	gw, err := socket.New(socket.Deps{
		Redis:       rdb,
		Verifier:    verifier,
		Revocations: revocations,
		Limiter:     limiter,
		// Leases last as long as presence's and renew with its heartbeat.
		Sockets:  limits.NewSockets(rdb, cfg.MaxSocketsPerUser, cfg.PresenceTTL),
		Presence: pres,
		Metrics:  gwmetrics.New(reg),
		Log:      log,
		Tracing:  trace,
		Config: socket.Config{
			GatewayID:        gatewayID,
			MaxFrameBytes:    cfg.MaxFrameBytes,
			SendBuffer:       cfg.SendBuffer,
			RatePerSec:       cfg.RatePerSec,
			RateBurst:        cfg.RateBurst,
			RateAbuseWindow:  cfg.RateAbuseWindow,
			UserRate:         ratelimit.Limit{Rate: cfg.UserRatePerSec, Period: time.Second, Burst: cfg.UserRateBurst},
			BotRate:          ratelimit.Limit{Rate: cfg.BotRatePerSec, Period: time.Second, Burst: cfg.BotRateBurst},
			BadFrameLimit:    cfg.BadFrameLimit,
			PingInterval:     cfg.PingInterval,
			TypingTTL:        cfg.TypingTTL,
			ReplayMax:        cfg.ReplayMax,
			CommandTimeout:   cfg.CommandTimeout,
			QueueMax:         cfg.QueueMax,
			DirectWrites:     cfg.DirectWrites,
			QueueMaxWait:     cfg.QueueMaxWait,
			QueueSlowCommand: cfg.QueueSlowCommand,
			Partitions:       cfg.Partitions,
			SIOPingTimeout:   cfg.SIOPingTimeout,
			SIOAllowOrigin:   cfg.allowOrigin(),
			AdvertiseAddr:    cfg.advertiseAddr(),
		},
	})
	if err != nil {
		return err
	}

	r := web.NewEngine(log, web.Options{Metrics: metrics.NewHTTP(reg)})
	health.Register(r, log,
		health.Check{Name: "redis", Probe: func(ctx context.Context) error { return redisconn.Ping(ctx, rdb) }},
		health.Check{Name: "gateway", Probe: gw.Ready},
	)
	r.GET("/metrics", gin.WrapH(metrics.Handler(reg)))
	gw.Routes(r)

	// The HTTP server and the gateway stop together: on SIGTERM the server
	// stops accepting while the gateway closes its sockets with 1001; if
	// the server fails to start, the gateway is stopped too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { _ = gw.Run(ctx, cfg.ShutdownTimeout) })
	// Revocations and the per-user command limit answered from memory.
	wg.Go(func() { _ = revocations.Run(ctx) })
	wg.Go(func() { _ = limiter.Run(ctx, cfg.RateLimitSyncInterval) })
	err = httpserver.Run(ctx, log, cfg.Addr, r, cfg.ShutdownTimeout)
	cancel()
	wg.Wait()
	log.Info("gateway stopped")
	return err
}

// loadVerifier builds the token verifier from the key file or the JWKS
// URL. The JWKS fetch is retried for a while: gateways and apis often start
// together.
func loadVerifier(ctx context.Context, cfg Config, log *slog.Logger) (*authn.Verifier, error) {
	if cfg.JWTPublicKeyFile != "" {
		keys, err := authn.LoadPublicKeyFile(cfg.JWTPublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("JWT_PUBLIC_KEY_FILE: %w", err)
		}
		return authn.NewVerifier(keys, cfg.JWTIssuer, cfg.JWTAudience, authn.WithTokenCache(cfg.AuthTokenCacheSize)), nil
	}
	var lastErr error
	for attempt := range 10 {
		v, err := authn.VerifierFromJWKS(ctx, cfg.JWKSURL, cfg.JWTIssuer, cfg.JWTAudience, authn.WithTokenCache(cfg.AuthTokenCacheSize))
		if err == nil {
			return v, nil
		}
		lastErr = err
		log.WarnContext(ctx, "JWKS not available yet", "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil, fmt.Errorf("JWKS_URL: %w", lastErr)
}

// channelSuffix scopes the pub/sub channels by Redis database: pub/sub
// ignores databases, and stacks sharing a server on different databases
// (tests, staging next to dev) must not hear each other. DB 0 keeps the
// plain names, as does a cluster (database 0 only).
func channelSuffix(rdb redis.UniversalClient) string {
	if db := redisconn.DB(rdb); db != 0 {
		return ":db" + strconv.Itoa(db)
	}
	return ""
}

// newGatewayID names this process: its reply stream and its log lines.
func newGatewayID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "gw-" + hex.EncodeToString(b)
}
