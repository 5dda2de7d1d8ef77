package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/testenv"
)

// BenchmarkHistoryRequest serves GET /api/chat/messages through the api's
// whole handler: gin and every middleware of the engine, the bearer token
// (verified once, then from the token cache), the revocation mirror, the
// per-user limit, the history statement on the real PostgreSQL and the
// page writer. Pages are random full pages of 50 from a private room of
// 200 messages seeded as the load tool seeds it (every 3rd edited, every
// 4th with reactions of two emoji), read by its 10 members in turn, as
// the load tool's http history workload asks them.
//
// Besides ns/op (wall time, PostgreSQL's latency included) it reports
// cpu-us/op: this process's CPU time per page, the api's share of a
// page's cost on a shared core (PostgreSQL runs elsewhere).
func BenchmarkHistoryRequest(b *testing.B) {
	const (
		members  = 10
		messages = 200
		page     = 50
	)
	gin.SetMode(gin.ReleaseMode)
	dir := b.TempDir()
	cfg, err := config.Parse[Config]([]string{
		"DATABASE_URL=" + testenv.Postgres(b, migrations.FS),
		"REDIS_URL=" + testenv.Redis(b),
		"JWT_PRIVATE_KEY_FILE=" + filepath.Join(dir, "jwt.pem"),
		"VAPID_KEY_FILE=" + filepath.Join(dir, "vapid.json"),
		// The limit is counted as in production, never reached.
		"RATE_LIMIT_USER=1000000000",
		"LOG_LEVEL=warn", // as the pinned bench runs it
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log, err := logging.New(io.Discard, cfg.LogLevel)
	if err != nil {
		b.Fatal(err)
	}
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	h, _, err := newHandler(cfg, d)
	if err != nil {
		b.Fatal(err)
	}
	// As serve runs them: revocations and the per-user limit from memory.
	go func() { _ = d.revocations.Run(ctx) }()
	go func() { _ = d.limiter.Run(ctx, cfg.RateLimitSyncInterval) }()

	room, tokens := seedHistory(b, d, members, messages)
	for deadline := time.Now().Add(10 * time.Second); !d.revocations.Live(); {
		if time.Now().After(deadline) {
			b.Fatal("the revocation mirror did not go live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	reqs := make([]*http.Request, 0, members*(messages-page+1))
	for before := page + 1; before <= messages+1; before++ {
		for _, tok := range tokens {
			r, err := http.NewRequest(http.MethodGet, fmt.Sprintf("/api/chat/messages?roomId=%s&limit=%d&before=%d", room, page, before), nil)
			if err != nil {
				b.Fatal(err)
			}
			r.RemoteAddr = "127.0.0.1:40000"
			r.Header.Set("Authorization", "Bearer "+tok)
			r.Header.Set("Accept", "application/json")
			reqs = append(reqs, r)
		}
	}
	rand.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	w := &discardWriter{header: http.Header{}}
	serve := func(r *http.Request) {
		clear(w.header)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, r.Clone(r.Context()))
		if w.status != http.StatusOK || w.n < page*100 {
			b.Fatalf("status %d, %d bytes", w.status, w.n)
		}
	}
	for _, r := range reqs[:members] { // tokens verified and cached
		serve(r)
	}
	cpu0 := processCPU(b)
	i := 0
	for b.Loop() {
		serve(reqs[i%len(reqs)])
		i++
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(i), "cpu-us/op")
}

// seedHistory makes a private room of n members (one session and token
// each) holding m messages like the load tool's seed.
func seedHistory(b *testing.B, d *deps, n, m int) (room string, tokens []string) {
	b.Helper()
	now := time.Now().UTC()
	room = uuid.NewString()
	users := make([]string, n)
	for i := range users {
		users[i] = uuid.NewString()
		sid := uuid.NewString()
		if err := d.db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
			users[i], users[i]+"@example.test", now, now).Error; err != nil {
			b.Fatal(err)
		}
		if err := d.db.Exec(`INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_used_at, expires_at) VALUES (?, ?, 'bench', '127.0.0.1', ?, ?, ?)`,
			sid, users[i], now, now, now.Add(time.Hour)).Error; err != nil {
			b.Fatal(err)
		}
		tok, _, err := d.signer.Sign(users[i], sid, now)
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	if err := d.db.Exec(`INSERT INTO rooms (id, kind, name, owner_id, member_count, last_seq, rev) VALUES (?, 'private', 'r', ?, ?, ?, ?)`,
		room, users[0], n, m, m).Error; err != nil {
		b.Fatal(err)
	}
	for _, u := range users {
		if err := d.db.Exec(`INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', now())`, room, u).Error; err != nil {
			b.Fatal(err)
		}
	}
	// As tests/load/internal/seed: rev = seq, every 3rd edited, every 4th
	// with reactions.
	if err := d.db.Exec(`INSERT INTO messages (id, room_id, seq, rev, user_id, content, created_at, edited_at, reactions)
		SELECT gen_random_uuid(), ?, s, s, (?::uuid[])[1 + s % ?],
			'seeded message ' || s || ' of room 0: the quick brown fox jumps over the lazy dog' || CASE WHEN s % 3 = 0 THEN ' (edited: a typo fixed)' ELSE '' END,
			?::timestamptz - interval '1 hour' + s * interval '1 second',
			CASE WHEN s % 3 = 0 THEN ?::timestamptz - interval '1 hour' + s * interval '1 second' + interval '30 seconds' END,
			CASE WHEN s % 4 = 0 THEN '[{"emoji": "👍", "count": 2}, {"emoji": "🎉", "count": 1}]'::jsonb END
		FROM generate_series(1, ?) s`, room, "{"+strings.Join(users, ",")+"}", n, now, now, m).Error; err != nil {
		b.Fatal(err)
	}
	if err := d.db.Exec(`ANALYZE`).Error; err != nil {
		b.Fatal(err)
	}
	return room, tokens
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardWriter is an http.ResponseWriter that keeps the status and the
// byte count only, so the benchmark measures the handler, not a recorder.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}
