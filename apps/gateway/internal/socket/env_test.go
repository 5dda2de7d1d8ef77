package socket

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/apps/gateway/internal/gwmetrics"
	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/testenv"
)

// env is an in-process stack: real PostgreSQL and Redis, the messaging
// module running its relay and command consumer (what the api does), and
// one or more gateways behind httptest servers.
type env struct {
	rdb    *redis.Client
	db     *gorm.DB
	signer *authn.Signer
	revs   *authn.Revocations
	gws    []*testGateway

	mu      sync.Mutex
	clients []*wsClient

	// The api's command consumer, which pauseAPI stops and resumeAPI
	// starts again.
	msg     *messaging.Module
	ctx     context.Context
	wg      *sync.WaitGroup
	apiStop context.CancelFunc
	apiDone chan struct{}
}

type testGateway struct {
	g    *Gateway
	srv  *httptest.Server
	stop context.CancelFunc // drains and stops this gateway
	done chan struct{}
}

func testConfig() Config {
	return Config{
		MaxFrameBytes: 2048, SendBuffer: 256, RatePerSec: 1000, RateBurst: 1000,
		UserRate:      ratelimit.Limit{Rate: 1000, Period: time.Second, Burst: 1000},
		BadFrameLimit: 3, PingInterval: 10 * time.Second, TypingTTL: time.Second,
		ReplayMax: 50, CommandTimeout: 5 * time.Second, Partitions: 2,
	}
}

func newEnv(t testing.TB, gateways int, tweak func(*Config)) *env {
	t.Helper()
	return newEnvDeps(t, gateways, tweak, nil)
}

// newEnvDeps is newEnv with deps, when not nil, adjusting each gateway's
// Deps before it is built.
func newEnvDeps(t testing.TB, gateways int, tweak func(*Config), deps func(*Deps)) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL and Redis")
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("GATEWAY_TEST_LOGS") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	opts, err := redis.ParseURL(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	db, err := database.Open(ctx, config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 10, MaxIdleConns: 5}, log)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubFile := filepath.Join(t.TempDir(), "jwt.pub")
	_ = os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	keys, err := authn.LoadPublicKeyFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{rdb: rdb, db: db, signer: authn.NewSigner(key, "chatforge", "chatforge", 15*time.Minute), revs: authn.NewRevocations(rdb, 15*time.Minute)}

	msg, err := messaging.New(messaging.Deps{DB: db, Redis: rdb, Log: log, Config: messaging.Config{StreamPartitions: 2, MessageMaxLength: 500}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = msg.RunRelay(ctx) })
	e.msg, e.ctx, e.wg = msg, ctx, &wg
	e.resumeAPI()

	suffix := hex.EncodeToString([]byte(uuid.NewString()[:4]))
	for i := range gateways {
		cfg := testConfig()
		cfg.GatewayID = fmt.Sprintf("gw-test-%s-%d", suffix, i)
		if tweak != nil {
			tweak(&cfg)
		}
		pres, err := presence.New(presence.Deps{Redis: rdb, Log: log, Config: presence.Config{
			TTL: 2 * time.Second, EventsChannel: "p:" + suffix, TypingChannel: "t:" + suffix,
		}})
		if err != nil {
			t.Fatal(err)
		}
		d := Deps{
			Redis: rdb, Verifier: authn.NewVerifier(keys, "chatforge", "chatforge"), Revocations: e.revs,
			Limiter: ratelimit.New(rdb, log), Presence: pres, Metrics: gwmetrics.New(prometheus.NewRegistry()),
			Log: log.With("gw", i), Config: cfg,
		}
		if deps != nil {
			deps(&d)
		}
		g, err := New(d)
		if err != nil {
			t.Fatal(err)
		}
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		g.Routes(r)
		srv := httptest.NewServer(r)
		gctx, stop := context.WithCancel(ctx)
		tg := &testGateway{g: g, srv: srv, stop: stop, done: make(chan struct{})}
		wg.Go(func() { _ = g.Run(gctx, 2*time.Second); close(tg.done) })
		e.gws = append(e.gws, tg)
		waitReady(t, g)
	}
	t.Cleanup(func() {
		e.mu.Lock()
		for _, c := range e.clients {
			_ = c.conn.Close()
		}
		e.mu.Unlock()
		cancel()
		wg.Wait()
		for _, gw := range e.gws {
			gw.srv.Close()
		}
		_ = rdb.Close()
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return e
}

// pauseAPI stops the api's command consumer (commands then wait in the
// stream, unread); call it while no command is in flight.
func (e *env) pauseAPI() {
	e.apiStop()
	<-e.apiDone
}

// resumeAPI starts the api's command consumer.
func (e *env) resumeAPI() {
	ctx, stop := context.WithCancel(e.ctx)
	done := make(chan struct{})
	e.apiStop, e.apiDone = stop, done
	e.wg.Go(func() {
		defer close(done)
		_ = e.msg.RunCommands(ctx, e.rdb, messaging.CommandOptions{Consumer: "api-test"})
	})
}

func waitReady(t testing.TB, g *Gateway) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.Ready(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("gateway not ready: %v", g.Ready(context.Background()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type account struct{ ID, SessionID, Token string }

// user inserts a user row and signs an access token for a new session.
func (e *env) user(t testing.TB) account {
	t.Helper()
	id, sid := uuid.NewString(), uuid.NewString()
	now := time.Now()
	err := e.db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'T', 'x', ?, ?)`,
		id, id+"@e.test", now, now).Error
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := e.signer.Sign(id, sid, now)
	if err != nil {
		t.Fatal(err)
	}
	return account{ID: id, SessionID: sid, Token: tok}
}

// room creates a room with the given members (first = owner) directly in
// the database.
func (e *env) room(t testing.TB, kind string, members ...string) string {
	t.Helper()
	id := uuid.NewString()
	if err := e.db.Exec(`INSERT INTO rooms (id, kind, name, owner_id, member_count) VALUES (?, ?, 'r', ?, ?)`, id, kind, members[0], len(members)).Error; err != nil {
		t.Fatal(err)
	}
	for i, m := range members {
		role := "member"
		if i == 0 {
			role = "owner"
		}
		if err := e.db.Exec(`INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, ?, now())`, id, m, role).Error; err != nil {
			t.Fatal(err)
		}
	}
	return id
}
