package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/tests/e2e/harness"
)

const (
	senders   = 4
	receivers = 3
)

// TestChaos: see the package comment.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: starts servers and processes and runs for minutes; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("CHAOS_SEED: %v", err)
		}
	}
	faultTime := 90 * time.Second
	if v := os.Getenv("CHAOS_DURATION"); v != "" {
		var err error
		if faultTime, err = time.ParseDuration(v); err != nil {
			t.Fatalf("CHAOS_DURATION: %v", err)
		}
	}
	kinds := allKinds
	if v := os.Getenv("CHAOS_FAULTS"); v != "" {
		kinds = strings.Split(v, ",")
		for _, k := range kinds {
			if !slices.Contains(allKinds, k) {
				t.Fatalf("CHAOS_FAULTS: unknown kind %q (known: %s)", k, strings.Join(allKinds, ","))
			}
		}
	}
	report(t, "seed %d (CHAOS_SEED=%d reproduces the fault schedule), faults for %s", seed, seed, faultTime)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))

	c := startCluster(t)
	cl := c.s.Client(t)
	owner := c.s.Register(t, cl)
	var accounts []harness.Account
	var ids []string
	for range senders + receivers {
		a := c.s.Register(t, cl)
		accounts = append(accounts, a)
		ids = append(ids, a.ID)
	}
	res := cl.Do("POST", "/api/chat/rooms", map[string]any{"name": "chaos", "kind": "private", "memberIds": ids}, owner.AccessToken)
	if res.Status != 201 {
		t.Fatalf("create room: %s", res)
	}
	var room struct {
		ID string `json:"id"`
	}
	res.JSON(t, &room)

	gwURLs := func() []string {
		var us []string
		for _, g := range c.gateways {
			us = append(us, "ws://"+strings.TrimPrefix(g.URL(), "http://")+"/ws")
		}
		return us
	}
	apiURLs := func() []string {
		var us []string
		for _, a := range c.apis {
			us = append(us, a.URL())
		}
		return us
	}

	// Clients run until the end, bounded: no fault phase lasts this long.
	ctx, cancel := context.WithTimeout(context.Background(), faultTime+3*time.Minute)
	defer cancel()
	rctx, stopReceivers := context.WithCancel(ctx)
	defer stopReceivers()
	stopSending := make(chan struct{})
	var wg, rwg sync.WaitGroup
	var ss []*sender
	var rs []*receiver
	for i := range senders {
		s := &sender{name: fmt.Sprintf("s%d", i), token: accounts[i].AccessToken, room: room.ID,
			rng: rand.New(rand.NewPCG(seed, uint64(i+1))), acked: map[string]ack{}, retries: map[string]int{}}
		ss = append(ss, s)
		wg.Go(func() { s.run(ctx, stopSending, gwURLs) })
	}
	for i := range receivers {
		r := &receiver{name: fmt.Sprintf("r%d", i), token: accounts[senders+i].AccessToken, room: room.ID,
			rng: rand.New(rand.NewPCG(seed, uint64(100+i))), joinErrors: map[string]int{}}
		rs = append(rs, r)
		rwg.Go(func() { r.run(rctx, gwURLs, apiURLs) })
	}

	in := &injector{kinds: kinds, c: &c.cluster, rng: rng, count: map[string]int{}}
	in.run(t, faultTime)
	for _, l := range in.log {
		report(t, "fault %s", l)
	}

	// Settle: senders finish the message in flight, receivers catch up
	// with everything stored.
	close(stopSending)
	wg.Wait()
	stored := storedMessages(t, c.pg.URL, room.ID)
	n := int64(len(stored))
	deadline := time.Now().Add(60 * time.Second)
	for _, r := range rs {
		for r.lastSeq() < n && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(time.Second) // anything extra (a duplicate) shows up now
	stopReceivers()
	rwg.Wait()

	verify(t, in, ss, rs, stored)
}

// report logs a line and prints it, so it shows in CI output even when
// the test passes.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	fmt.Printf("chaos: "+format+"\n", args...)
}

// storedRow is a message row of the room.
type storedRow struct {
	id, cmid string
	seq      int64
}

// storedMessages reads the room's messages from PostgreSQL, by seq.
func storedMessages(t *testing.T, dsn, room string) []storedRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the private postgres: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT id::text, seq, coalesce(client_msg_id, '') FROM messages WHERE room_id = $1 ORDER BY seq`, room)
	if err != nil {
		t.Fatalf("read messages: %v", err)
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.id, &r.seq, &r.cmid); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read messages: %v", err)
	}
	return out
}
