package authn

import (
	"crypto/sha256"
	"sync"
)

// DefaultTokenCacheSize keeps about 100k active tokens verified: each
// generation holds that many, so the cache holds at most twice as many
// entries (~250 bytes each).
const DefaultTokenCacheSize = 100_000

// cacheShards spreads the locks, so concurrent requests on both cores
// rarely wait for each other.
const cacheShards = 16

// tokenCache remembers the claims of tokens that verified, keyed by the
// SHA-256 of the token: the RS256 check costs ~18% of a cheap request and
// its outcome for a given token string never changes (only expiry does,
// which the caller checks on every hit). Only valid tokens enter.
//
// Eviction is by two generations per shard: entries go to cur; when cur is
// full it becomes prev and the old prev is dropped at once. A hit in prev
// is moved to cur, so tokens in use survive a rotation. Memory is bounded
// by 2*size entries; no per-entry bookkeeping.
type tokenCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu        sync.Mutex
	cur, prev map[[sha256.Size]byte]Claims
	max       int
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{}
	per := max(1, size/cacheShards)
	for i := range c.shards {
		c.shards[i].max = per
		c.shards[i].cur = make(map[[sha256.Size]byte]Claims)
	}
	return c
}

func (c *tokenCache) shard(k *[sha256.Size]byte) *cacheShard {
	return &c.shards[k[0]%cacheShards]
}

func (c *tokenCache) get(k [sha256.Size]byte) (Claims, bool) {
	s := c.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cl, ok := s.cur[k]; ok {
		return cl, true
	}
	cl, ok := s.prev[k]
	if ok {
		delete(s.prev, k)
		s.putLocked(k, cl)
	}
	return cl, ok
}

func (c *tokenCache) put(k [sha256.Size]byte, cl Claims) {
	s := c.shard(&k)
	s.mu.Lock()
	s.putLocked(k, cl)
	s.mu.Unlock()
}

func (s *cacheShard) putLocked(k [sha256.Size]byte, cl Claims) {
	if len(s.cur) >= s.max {
		s.prev, s.cur = s.cur, make(map[[sha256.Size]byte]Claims, s.max)
	}
	s.cur[k] = cl
}

// len counts the cached entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.cur) + len(s.prev)
		s.mu.Unlock()
	}
	return n
}
