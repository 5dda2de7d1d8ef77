package main

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/tracing"
)

// deps holds the api's long-lived infrastructure. openDeps builds it; close
// releases it in reverse order of opening (jobs client, Redis, database).
type deps struct {
	log         *slog.Logger
	db          *gorm.DB
	rdb         redis.UniversalClient
	jobs        *asynq.Client
	reg         *prometheus.Registry
	signer      *authn.Signer
	verifier    *authn.Verifier
	revocations *authn.Revocations
	limiter     *ratelimit.Limiter
	trace       *tracing.Tracing // nil: off
	// urlKey keys attachment links when ATTACHMENT_URL_SECRET is unset:
	// derived from the signing key, so every instance agrees.
	urlKey []byte

	closers []func() error
}

func openDeps(ctx context.Context, cfg Config, log *slog.Logger) (d *deps, err error) {
	d = &deps{log: log, reg: metrics.NewRegistry()}
	defer func() {
		if err != nil {
			d.close()
		}
	}()

	if d.trace, err = tracing.New(ctx, cfg.Tracing, "chatforge-api", log); err != nil {
		return nil, err
	}
	// Closed last: the spans of the shutdown are exported too.
	d.closers = append(d.closers, func() error { d.trace.Close(); return nil })

	d.db, err = database.Open(ctx, cfg.Postgres, log)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sqlDB, err := d.db.DB()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	d.closers = append(d.closers, sqlDB.Close)
	database.RegisterPoolMetrics(d.reg, d.db)

	d.rdb, err = redisconn.Open(ctx, cfg.Redis)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	d.closers = append(d.closers, d.rdb.Close)

	// On the shared client, so a Redis outage met while enqueueing is
	// marked unavailable (redisconn.Classify) like any other. Not closed:
	// asynq refuses to close a shared client (closing rdb is enough).
	d.jobs = asynq.NewClientFromRedisClient(d.rdb)

	key, err := signingKey(cfg)
	if err != nil {
		return nil, err
	}
	d.urlKey = deriveURLKey(key)
	d.signer = authn.NewSigner(key, cfg.JWTIssuer, cfg.JWTAudience, cfg.AccessTokenTTL)
	d.verifier = authn.NewVerifier(map[string]*rsa.PublicKey{d.signer.KeyID(): &key.PublicKey}, cfg.JWTIssuer, cfg.JWTAudience,
		authn.WithTokenCache(cfg.AuthTokenCacheSize))
	d.revocations = authn.NewRevocations(d.rdb, cfg.AccessTokenTTL)
	d.limiter = ratelimit.New(d.rdb, log)
	log.InfoContext(ctx, "token signer ready", "key_file", cfg.keyFile(), "kid", d.signer.KeyID())
	return d, nil
}

// signingKey reads the access-token key. Outside production a missing key
// file is created, so local instances share one key without setup.
func signingKey(cfg Config) (*rsa.PrivateKey, error) {
	var (
		key *rsa.PrivateKey
		err error
	)
	if cfg.production() {
		key, err = authn.LoadPrivateKey(cfg.keyFile())
	} else {
		key, err = authn.LoadOrCreateDevKey(cfg.keyFile())
	}
	if err != nil {
		return nil, fmt.Errorf("JWT_PRIVATE_KEY_FILE: %w", err)
	}
	return key, nil
}

// deriveURLKey derives the attachment-link key from the token signing key
// (a one-way hash with its own label: it reveals nothing of the RSA key).
func deriveURLKey(key *rsa.PrivateKey) []byte {
	h := sha256.New()
	h.Write([]byte("chatforge attachment links\x00"))
	h.Write(x509.MarshalPKCS1PrivateKey(key))
	return h.Sum(nil)
}

// close releases everything opened so far, newest first, logging failures.
func (d *deps) close() {
	var errs []error
	for i := len(d.closers) - 1; i >= 0; i-- {
		errs = append(errs, d.closers[i]())
	}
	d.closers = nil
	if err := errors.Join(errs...); err != nil {
		d.log.Error("closing connections", "err", err)
	}
}
