package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/apps/api/openapi"
	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/modules/bots"
	"github.com/chatforge/chat/modules/calls"
	"github.com/chatforge/chat/modules/identity"
	"github.com/chatforge/chat/modules/keys"
	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/notify"
	"github.com/chatforge/chat/modules/webhooks"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/egress"
	"github.com/chatforge/chat/platform/health"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/web"
)

// Lifetimes of one-time tokens sent by email.
const (
	verifyEmailTTL   = 24 * time.Hour
	passwordResetTTL = time.Hour
)

// runner is a background loop of the api (the outbox relay, the command
// stream consumer); it returns when its context is done.
type runner func(ctx context.Context) error

// newHandler builds the api's HTTP surface: operational endpoints first,
// then every module's routes. It also returns the modules' background loops.
func newHandler(cfg Config, d *deps) (http.Handler, []runner, error) {
	// Built before the engine, which needs its upload body limit; it asks
	// messaging about rooms once that exists (rooms.chat below).
	rooms := &roomAccess{}
	files, err := attachments.New(attachments.Deps{DB: d.db, URLKey: d.urlKey, Log: d.log, Now: time.Now,
		Config: cfg.Attachments, Rooms: rooms})
	if err != nil {
		return nil, nil, fmt.Errorf("attachments module: %w", err)
	}
	r := web.NewEngine(d.log, web.Options{
		CORSOrigins:     cfg.CORSAllowedOrigins,
		BodyLimit:       cfg.HTTPBodyLimit,
		RouteBodyLimits: map[string]int64{attachments.UploadPath: max(files.BodyLimit(), cfg.HTTPBodyLimit)},
		Metrics:         metrics.NewHTTP(d.reg),
		Tracing:         d.trace,
	})
	if err := r.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, nil, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}

	health.Register(r, d.log,
		health.Check{Name: "postgres", Probe: d.pingDB},
		health.Check{Name: "redis", Probe: func(ctx context.Context) error { return redisconn.Ping(ctx, d.rdb) }},
	)
	r.GET("/metrics", gin.WrapH(metrics.Handler(d.reg)))
	jwks := d.signer.JWKS()
	r.GET("/.well-known/jwks.json", func(c *gin.Context) {
		// Short cache: a key rotation must reach verifiers quickly.
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/json", jwks)
	})
	r.GET("/openapi.yaml", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/yaml", openapi.Spec)
	})

	ident, err := identity.New(identity.Deps{
		DB:          d.db,
		Redis:       d.rdb,
		Jobs:        d.jobs,
		Signer:      d.signer,
		Verifier:    d.verifier,
		Revocations: d.revocations,
		Limiter:     d.limiter,
		Log:         d.log,
		Now:         time.Now,
		Config: identity.Config{
			RefreshTTL: cfg.RefreshTokenTTL,
			VerifyTTL:  verifyEmailTTL,
			ResetTTL:   passwordResetTTL,
			Hash: identity.HashParams{
				Memory:      cfg.PasswordHashMemoryKiB,
				Iterations:  cfg.PasswordHashIterations,
				Parallelism: cfg.PasswordHashParallelism,
			},
			AuthLimitPerIP:          perMinute(cfg.RateLimitAuthIP),
			AuthLimitPerAccount:     perMinute(cfg.RateLimitAuthAccount),
			LoginFailuresPerAddress: perMinute(cfg.RateLimitLoginFailures),
			LoginFailuresPerAccount: ratelimit.Limit{
				Rate: cfg.RateLimitLoginAccountFailures, Period: time.Hour, Burst: cfg.RateLimitLoginAccountFailures,
			},
			PublicBaseURL: cfg.PublicBaseURL,
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("identity module: %w", err)
	}
	botMod, err := bots.New(bots.Deps{DB: d.db, Tokens: authn.NewBotTokens(d.rdb), Revocations: d.revocations,
		Log: d.log, Now: time.Now})
	if err != nil {
		return nil, nil, fmt.Errorf("bots module: %w", err)
	}
	auth := authn.Middleware(d.verifier, d.revocations, authn.WithBots(botMod))
	// Counted in memory, synced with Redis by the limiter's Run (run.go).
	userLimit := callerLimit(
		ratelimit.BatchedMiddleware(d.limiter, perMinute(cfg.RateLimitUser), userKey),
		ratelimit.BatchedMiddleware(d.limiter, perMinute(cfg.RateLimitBot), botKey))
	ident.Routes(r, auth, userLimit)
	botMod.Routes(r, auth, userLimit)

	chat, err := messaging.New(messaging.Deps{DB: d.db, Redis: d.rdb, Log: d.log, Config: cfg.Messaging, Now: time.Now,
		Metrics: d.reg, Attachments: &messageFiles{files: files}, Tracing: d.trace})
	if err != nil {
		return nil, nil, fmt.Errorf("messaging module: %w", err)
	}
	chat.Routes(r, auth, userLimit)
	rooms.chat = chat
	hooks, err := webhooks.NewAPI(d.db, egress.New(egress.Policy{
		AllowPrivate: cfg.AllowPrivateWebhooks, AllowHTTP: !cfg.production(),
	}, nil), d.log)
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks module: %w", err)
	}
	hooks.Routes(r, auth, userLimit)
	files.Routes(r, auth, userLimit)

	vapid := cfg.VAPIDPublicKey
	if vapid == "" {
		k, err := notify.LoadVAPIDKeys(cfg.VAPIDKeyFile, !cfg.production())
		if err != nil {
			return nil, nil, fmt.Errorf("VAPID_KEY_FILE: %w", err)
		}
		vapid = k.PublicKey
	}
	push, err := notify.New(notify.Deps{DB: d.db, Log: d.log, Now: time.Now, Config: notify.Config{
		Push: notify.PushConfig{VAPIDPublicKey: vapid, AllowHTTPEndpoints: !cfg.production(),
			AllowPrivateEndpoints: cfg.AllowPrivateWebhooks},
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("notify module: %w", err)
	}
	push.Routes(r, auth, userLimit)

	phone, err := calls.New(calls.Deps{DB: d.db, Redis: d.rdb, Rooms: callRooms{chat}, History: callHistory{chat},
		Log: d.log, Now: time.Now, Config: cfg.Calls})
	if err != nil {
		return nil, nil, fmt.Errorf("calls module: %w", err)
	}
	phone.Routes(r, auth, userLimit)

	// End-to-end encryption key directory: a device's peers are the
	// members of its user's rooms.
	directory, err := keys.New(keys.Deps{DB: d.db, Redis: d.rdb, Peers: chat, Log: d.log, Now: time.Now})
	if err != nil {
		return nil, nil, fmt.Errorf("keys module: %w", err)
	}
	directory.Routes(r, auth, userLimit)

	commands := func(ctx context.Context) error {
		return chat.RunCommands(ctx, d.rdb, messaging.CommandOptions{
			Consumer:      instanceName(),
			Workers:       cfg.CommandWorkers,
			SendSlots:     cfg.CommandSendSlots,
			MaxInFlight:   cfg.CommandMaxInFlight,
			ClaimMinIdle:  cfg.CommandClaimMinIdle,
			ClaimInterval: cfg.CommandClaimInterval,
			MaxAge:        cfg.CommandMaxAge,
			ShedAfter:     cfg.CommandShedAfter,
			MaxRelayLag:   cfg.CommandMaxRelayLag,
			Calls:         phone.HandleCommand,
		})
	}
	// Redis holds revocations as a mirror of PostgreSQL: put back what a
	// Redis that lost its data forgot (at start-up, then periodically).
	reseed := func(ctx context.Context) error { return ident.RunRevocationReseed(ctx, cfg.RevocationReseedInterval) }
	botReseed := func(ctx context.Context) error { return botMod.RunReseed(ctx, cfg.RevocationReseedInterval) }
	return r, []runner{chat.RunRelay, commands, reseed, botReseed, phone.RunSweeper, directory.RunRevocations}, nil
}

// instanceName names this process in the command stream's consumer group:
// unique per process, readable in XINFO output.
func instanceName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("api-%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
}

// userKey keys the per-user rate limit by the authenticated user; requests
// without a principal are not limited here (the auth middleware rejects them).
func userKey(c *gin.Context) string {
	p := authn.PrincipalFrom(c)
	if p.UserID == "" {
		return ""
	}
	return "user:" + p.UserID
}

// botKey keys the per-bot rate limit (RATE_LIMIT_BOT).
func botKey(c *gin.Context) string { return "bot:" + authn.PrincipalFrom(c).UserID }

// callerLimit applies the bot limit to bots and the user limit to people.
func callerLimit(user, bot gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if authn.PrincipalFrom(c).Bot {
			bot(c)
			return
		}
		user(c)
	}
}

// perMinute is a limit of n requests a minute with a burst of n.
func perMinute(n int) ratelimit.Limit {
	return ratelimit.Limit{Rate: n, Period: time.Minute, Burst: n}
}

func (d *deps) pingDB(ctx context.Context) error {
	sqlDB, err := d.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}
