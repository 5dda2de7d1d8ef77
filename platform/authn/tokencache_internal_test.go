package authn

import (
	"crypto/sha256"
	"strconv"
	"testing"
)

// The cache never holds more than two generations, and an entry in use
// survives rotations by moving to the young generation.
func TestTokenCacheBoundedAndKeepsHotEntries(t *testing.T) {
	t.Parallel()
	c := newTokenCache(cacheShards * 4) // 4 per shard
	hot := sha256.Sum256([]byte("hot"))
	c.put(hot, Claims{UserID: "hot"})
	for i := range 10_000 {
		c.put(sha256.Sum256([]byte(strconv.Itoa(i))), Claims{})
		if i%3 == 0 {
			if cl, ok := c.get(hot); !ok || cl.UserID != "hot" {
				t.Fatalf("hot entry lost after %d puts", i)
			}
		}
	}
	if n := c.len(); n > 2*cacheShards*4 {
		t.Errorf("cache holds %d entries, bound %d", n, 2*cacheShards*4)
	}
}
