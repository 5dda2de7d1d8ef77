package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/health"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/web"
)

// monitoringPath is where the asynqmon dashboard is mounted.
const monitoringPath = "/monitoring"

// opsHandler serves the worker's ops port: /healthz, /readyz, /metrics and
// the dashboard. It is not the public API: no CORS and no API CSP (the
// dashboard is a browser app); expose it to the ops network only.
type opsHandler struct {
	http.Handler
	mon *asynqmon.HTTPHandler
}

func (h *opsHandler) close() {
	if h.mon != nil {
		_ = h.mon.Close()
	}
}

func newHandler(cfg Config, log *slog.Logger, reg *prometheus.Registry, rdb redis.UniversalClient, db *gorm.DB, srv *asynq.Server) *opsHandler {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	_ = e.SetTrustedProxies(nil)
	e.Use(web.RequestID(), web.Recovery(log))
	e.NoRoute(web.NoRoute)
	e.NoMethod(web.NoMethod)

	health.Register(e, log,
		health.Check{Name: "redis", Probe: func(ctx context.Context) error { return redisconn.Ping(ctx, rdb) }},
		health.Check{Name: "postgres", Probe: func(ctx context.Context) error {
			sqlDB, err := db.DB()
			if err != nil {
				return err
			}
			return sqlDB.PingContext(ctx)
		}},
		// asynq's own view: the server is running and reaches Redis.
		health.Check{Name: "asynq", Probe: func(context.Context) error { return srv.Ping() }},
	)
	e.GET("/metrics", gin.WrapH(metrics.Handler(reg)))

	h := &opsHandler{Handler: e}
	if cfg.AdminUser != "" {
		h.mon = asynqmon.New(asynqmon.Options{
			RootPath:         monitoringPath,
			RedisConnOpt:     redisConnOpt(rdb),
			PayloadFormatter: asynqmon.PayloadFormatterFunc(redactPayload),
		})
		admin := e.Group(monitoringPath, gin.BasicAuth(gin.Accounts{cfg.AdminUser: cfg.AdminPassword}))
		admin.Any("", gin.WrapH(h.mon))
		admin.Any("/*any", gin.WrapH(h.mon))
		log.Info("asynq dashboard mounted", "path", monitoringPath)
	}
	return h
}

// redisConnOpt rebuilds asynq's connection options from the client's, so
// the dashboard talks to the same Redis database, or cluster, as the
// queues.
func redisConnOpt(rdb redis.UniversalClient) asynq.RedisConnOpt {
	if c, ok := rdb.(*redis.ClusterClient); ok {
		o := c.Options()
		return asynq.RedisClusterClientOpt{
			Addrs: o.Addrs, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
		}
	}
	o := rdb.(*redis.Client).Options()
	return asynq.RedisClientOpt{
		Network: o.Network, Addr: o.Addr, Username: o.Username, Password: o.Password,
		DB: o.DB, TLSConfig: o.TLSConfig,
	}
}

// sensitive payload fields are hidden in the dashboard: e-mail tokens are
// credentials (a reset token is a password).
var sensitive = map[string]bool{"token": true, "link": true}

func redactPayload(_ string, payload []byte) string {
	var m map[string]any
	if json.Unmarshal(payload, &m) != nil {
		return "(non-JSON payload, hidden)"
	}
	for k := range m {
		if sensitive[k] {
			m[k] = "***"
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// presenceOnline answers notify.OnlineChecker from the presence module's
// Redis state (leases renewed by the gateways).
type presenceOnline struct{ p *presence.Module }

func newOnlineChecker(rdb redis.UniversalClient, log *slog.Logger) (presenceOnline, error) {
	p, err := presence.New(presence.Deps{Redis: rdb, Log: log})
	if err != nil {
		return presenceOnline{}, fmt.Errorf("presence: %w", err)
	}
	return presenceOnline{p: p}, nil
}

func (o presenceOnline) Online(ctx context.Context, userIDs []string) (map[string]bool, error) {
	on := make(map[string]bool, len(userIDs))
	for _, id := range userIDs {
		st, err := o.p.Status(ctx, id)
		if err != nil {
			return nil, err
		}
		on[id] = st.Online
	}
	return on, nil
}
