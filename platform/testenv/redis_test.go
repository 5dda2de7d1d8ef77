package testenv_test

import (
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/testenv"
)

func client(t *testing.T, rawURL string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		t.Fatalf("ParseURL(%q): %v", rawURL, err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestRedisConcurrentLeases holds two leases at the same time and checks
// they are different databases, flushed when leased and released after.
func TestRedisConcurrentLeases(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		urls []string
		both sync.WaitGroup // barrier: both leases are held at once
	)
	both.Add(2)
	ctl := client(t, envOr("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")) // DB 0 holds the leases
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				u := testenv.Redis(t)
				mu.Lock()
				urls = append(urls, u)
				mu.Unlock()

				c := client(t, u)
				parsed, err := url.Parse(u)
				if err != nil {
					t.Fatal(err)
				}
				// The lease is held with an expiry, so a killed run frees it.
				if ttl, err := ctl.PTTL(t.Context(), "testenv:lease:"+parsed.Path[1:]).Result(); err != nil || ttl <= 0 || ttl > 2*time.Minute {
					t.Errorf("lease TTL = %v, %v; want in (0, 2m]", ttl, err)
				}
				if n, err := c.DBSize(t.Context()).Result(); err != nil || n != 0 {
					t.Errorf("leased DB not empty: size %d, err %v", n, err)
				}
				if err := c.Set(t.Context(), "mine", name, 0).Err(); err != nil {
					t.Fatal(err)
				}

				both.Done()
				done := make(chan struct{})
				go func() { both.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(90 * time.Second):
					t.Fatal("the other lease never arrived")
				}
				// Nobody else wrote into our database meanwhile.
				if got, _ := c.Get(t.Context(), "mine").Result(); got != name {
					t.Errorf("key mine = %q, want %q: databases shared", got, name)
				}
			})
		}
	})

	if len(urls) != 2 || urls[0] == urls[1] {
		t.Fatalf("leased %v, want two different databases", urls)
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		n := u.Path[1:]
		// Released and flushed by cleanup. (Another test binary may have
		// leased it again since; then its lease token differs from ours,
		// but the key exists — so only check when it is free.)
		if exists, _ := ctl.Exists(t.Context(), "testenv:lease:"+n).Result(); exists == 0 {
			if size, _ := client(t, raw).DBSize(t.Context()).Result(); size != 0 {
				t.Errorf("DB %s not flushed after cleanup (size %d)", n, size)
			}
		}
	}
}
