package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/presence/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

type fixture struct {
	store  *Store
	rdb    *redis.Client
	events <-chan *redis.Message
	ttl    time.Duration
}

// newFixture gives each test its own Redis DB, key prefix and channels
// (pub/sub ignores databases, so channels must be unique too).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	rdb := testenv.RedisClient(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	ps := rdb.Subscribe(context.Background(), "ev:"+id, "ty:"+id)
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ps.Close() })
	return &fixture{store: New(rdb, "p"+id, "ev:"+id, "ty:"+id), rdb: rdb, events: ps.Channel(), ttl: time.Minute}
}

// next returns the next published message, failing after a second.
func (f *fixture) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-f.events:
		var v map[string]any
		if err := json.Unmarshal([]byte(m.Payload), &v); err != nil {
			t.Fatalf("payload %q: %v", m.Payload, err)
		}
		return v
	case <-time.After(time.Second):
		t.Fatal("no event published")
		return nil
	}
}

func (f *fixture) none(t *testing.T) {
	t.Helper()
	select {
	case m := <-f.events:
		t.Fatalf("unexpected event %s", m.Payload)
	case <-time.After(100 * time.Millisecond):
	}
}

func lease(user, conn string, exp time.Time) domain.Lease {
	return domain.Lease{UserID: user, ConnID: conn, Expires: exp}
}

func TestOnlineOfflineTransitionsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	exp := now.Add(f.ttl)

	if n, err := f.store.Acquire(ctx, []domain.Lease{lease("u1", "c1", exp)}); err != nil || n != 1 {
		t.Fatalf("Acquire = %d, %v", n, err)
	}
	if e := f.next(t); e["userId"] != "u1" || e["status"] != "online" {
		t.Errorf("event = %v", e)
	}
	// A second connection and a renewal: no transition.
	if n, _ := f.store.Acquire(ctx, []domain.Lease{lease("u1", "c2", exp), lease("u1", "c1", exp.Add(time.Second))}); n != 1 {
		t.Errorf("second Acquire added %d, want 1", n)
	}
	f.none(t)
	if p, _ := f.store.Status(ctx, "u1"); p.Status != domain.Online {
		t.Errorf("status = %+v", p)
	}
	if off, _ := f.store.Release(ctx, "u1", "c1", now, f.ttl); off {
		t.Error("offline while c2 lives")
	}
	f.none(t)
	if off, _ := f.store.Release(ctx, "u1", "c2", now, f.ttl); !off {
		t.Error("not offline after the last connection")
	}
	e := f.next(t)
	if e["status"] != "offline" || int64(e["lastSeen"].(float64)) != now.UnixMilli() {
		t.Errorf("offline event = %v, want lastSeen %d", e, now.UnixMilli())
	}
	if off, _ := f.store.Release(ctx, "u1", "c2", now, f.ttl); off {
		t.Error("double release announced twice")
	}
	f.none(t)
	p, _ := f.store.Status(ctx, "u1")
	if p.Status != domain.Offline || p.LastSeen.UnixMilli() != now.UnixMilli() {
		t.Errorf("status after offline = %+v", p)
	}
}

// TestConcurrentSweepsAnnounceOnce: leases of a dead gateway expire; many
// gateways sweep at once; each user goes offline exactly once.
func TestConcurrentSweepsAnnounceOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	start := time.Now().Add(-2 * f.ttl)
	var leases []domain.Lease
	users := []string{"a", "b", "c"}
	for _, u := range users {
		leases = append(leases, lease(u, u+"1", start.Add(f.ttl)), lease(u, u+"2", start.Add(f.ttl)))
	}
	leases = append(leases, lease("alive", "x", time.Now().Add(f.ttl)))
	if _, err := f.store.Acquire(ctx, leases); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		f.next(t) // the four online events
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	swept := 0
	for range 5 {
		wg.Go(func() {
			for {
				n, err := f.store.Expire(ctx, time.Now(), f.ttl, 2)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				swept += n
				mu.Unlock()
				if n < 2 {
					return
				}
			}
		})
	}
	wg.Wait()
	if swept != 6 {
		t.Errorf("swept %d leases, want 6", swept)
	}
	seen := map[string]int{}
	for range users {
		e := f.next(t)
		if e["status"] != "offline" || int64(e["lastSeen"].(float64)) != start.UnixMilli() {
			t.Errorf("event = %v, want offline with lastSeen = last heartbeat", e)
		}
		seen[e["userId"].(string)]++
	}
	f.none(t)
	if len(seen) != 3 {
		t.Errorf("offline events per user = %v", seen)
	}
	if p, _ := f.store.Status(ctx, "alive"); p.Status != domain.Online {
		t.Error("a live lease was swept")
	}
	// A gateway that was cut off renews a swept lease: back online.
	if n, _ := f.store.Acquire(ctx, []domain.Lease{lease("a", "a1", time.Now().Add(f.ttl))}); n != 1 {
		t.Errorf("renewal of a swept lease added %d", n)
	}
	if e := f.next(t); e["userId"] != "a" || e["status"] != "online" {
		t.Errorf("event = %v", e)
	}
}

// TestReleasedConnectionNeverComesBack: a heartbeat that listed a
// connection before it closed runs after its release; the user must stay
// offline (no online event), whether the heartbeat renews or re-acquires.
// A lease swept while its connection lives is taken again; one swept and
// then released is not.
func TestReleasedConnectionNeverComesBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	if _, err := f.store.Acquire(ctx, []domain.Lease{lease("u", "c1", now.Add(f.ttl))}); err != nil {
		t.Fatal(err)
	}
	f.next(t) // online
	if off, err := f.store.Release(ctx, "u", "c1", now, f.ttl); err != nil || !off {
		t.Fatalf("Release = %v, %v", off, err)
	}
	f.next(t) // offline
	late := []domain.Lease{lease("u", "c1", now.Add(f.ttl+time.Second))}
	missing, err := f.store.Renew(ctx, late)
	if err != nil || len(missing) != 1 || missing[0].ConnID != "c1" {
		t.Fatalf("Renew of a released lease = %v, %v; want it missing", missing, err)
	}
	if n, err := f.store.Acquire(ctx, late); err != nil || n != 0 {
		t.Errorf("Acquire of a released connection = %d, %v; want 0", n, err)
	}
	f.none(t)
	if p, _ := f.store.Status(ctx, "u"); p.Status != domain.Offline {
		t.Errorf("status = %+v, want offline", p)
	}

	// Swept while alive (its gateway was cut off), then re-taken.
	if _, err := f.store.Acquire(ctx, []domain.Lease{lease("v", "c2", now.Add(-time.Second)), lease("w", "c3", now.Add(-time.Second))}); err != nil {
		t.Fatal(err)
	}
	f.next(t)
	f.next(t)
	if n, _ := f.store.Expire(ctx, now, f.ttl, 10); n != 2 {
		t.Fatalf("swept %d, want 2", n)
	}
	f.next(t)
	f.next(t)
	// w's connection closes after the sweep: its release finds no lease
	// but still marks it closed.
	if off, err := f.store.Release(ctx, "w", "c3", now, f.ttl); err != nil || off {
		t.Fatalf("Release of a swept lease = %v, %v", off, err)
	}
	again := []domain.Lease{lease("v", "c2", now.Add(f.ttl)), lease("w", "c3", now.Add(f.ttl))}
	if missing, _ := f.store.Renew(ctx, again); len(missing) != 2 {
		t.Fatalf("Renew of swept leases found %d missing, want 2", len(missing))
	}
	if n, _ := f.store.Acquire(ctx, again); n != 1 {
		t.Errorf("re-acquired %d, want 1 (the live one)", n)
	}
	if e := f.next(t); e["userId"] != "v" || e["status"] != "online" {
		t.Errorf("event = %v, want v online", e)
	}
	f.none(t)
	// Renewing an existing lease changes nothing else.
	if missing, _ := f.store.Renew(ctx, []domain.Lease{lease("v", "c2", now.Add(2*f.ttl))}); len(missing) != 0 {
		t.Errorf("Renew of a live lease: missing %v", missing)
	}
	f.none(t)
	// Tombstones go with the sweep once past their time.
	if _, err := f.store.Expire(ctx, now.Add(2*f.ttl), f.ttl, 10); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.rdb.ZCard(ctx, f.store.gone).Result(); n != 0 {
		t.Errorf("%d tombstones left after their time", n)
	}
}

func TestAcquireBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	exp := time.Now().Add(f.ttl)
	leases := make([]domain.Lease, 0, batchSize+10)
	for i := range batchSize + 10 {
		leases = append(leases, lease("u", "c"+hex.EncodeToString([]byte{byte(i >> 8), byte(i)}), exp))
	}
	if n, err := f.store.Acquire(ctx, leases); err != nil || n != len(leases) {
		t.Fatalf("Acquire = %d, %v", n, err)
	}
	if e := f.next(t); e["status"] != "online" {
		t.Errorf("event = %v", e)
	}
	f.none(t) // one user, one online event for all the batches
}

func TestPublishTyping(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.store.PublishTyping(context.Background(), domain.Typing{UserID: "u", RoomID: "r", Active: true}); err != nil {
		t.Fatal(err)
	}
	if e := f.next(t); e["userId"] != "u" || e["roomId"] != "r" || e["state"] != "start" {
		t.Errorf("typing message = %v", e)
	}
}
