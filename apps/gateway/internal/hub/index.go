package hub

import (
	"hash/maphash"
	"sync"
)

// shardCount splits each index so that joins, leaves and deliveries in
// different rooms (users, sessions) rarely wait for the same lock.
const shardCount = 64

// index maps a key (room, user or session id) to the set of connections
// filed under it. Lock order: a shard lock is never taken while holding a
// Conn's mutex, and never held while taking one (deliveries copy the set
// out first), so the two cannot deadlock.
type index struct {
	seed   maphash.Seed
	shards [shardCount]shard
}

type shard struct {
	mu sync.RWMutex
	m  map[string]map[*Conn]struct{}
}

func newIndex() *index {
	x := &index{seed: maphash.MakeSeed()}
	for i := range x.shards {
		x.shards[i].m = make(map[string]map[*Conn]struct{})
	}
	return x
}

func (x *index) shard(key string) *shard {
	return &x.shards[maphash.String(x.seed, key)%shardCount]
}

func (x *index) add(key string, c *Conn) {
	s := x.shard(key)
	s.mu.Lock()
	set := s.m[key]
	if set == nil {
		set = make(map[*Conn]struct{}, 4)
		s.m[key] = set
	}
	set[c] = struct{}{}
	s.mu.Unlock()
}

func (x *index) remove(key string, c *Conn) {
	s := x.shard(key)
	s.mu.Lock()
	if set := s.m[key]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(s.m, key)
		}
	}
	s.mu.Unlock()
}

// has reports whether any connection is filed under key.
func (x *index) has(key string) bool {
	s := x.shard(key)
	s.mu.RLock()
	_, ok := s.m[key]
	s.mu.RUnlock()
	return ok
}

// appendConns appends the connections filed under key to dst. Copying out
// keeps the shard lock short and lets the caller write to connections
// without holding it.
func (x *index) appendConns(dst []*Conn, key string) []*Conn {
	s := x.shard(key)
	s.mu.RLock()
	for c := range s.m[key] {
		dst = append(dst, c)
	}
	s.mu.RUnlock()
	return dst
}

// appendAll appends every connection of the index to dst (each once per key
// it is filed under: use it on an index where a connection has one key).
func (x *index) appendAll(dst []*Conn) []*Conn {
	for i := range x.shards {
		s := &x.shards[i]
		s.mu.RLock()
		for _, set := range s.m {
			for c := range set {
				dst = append(dst, c)
			}
		}
		s.mu.RUnlock()
	}
	return dst
}

// scratch recycles the slices deliveries copy connection sets into, so a
// steady fan-out allocates nothing per event.
var scratch = sync.Pool{New: func() any { s := make([]*Conn, 0, 256); return &s }}

func getScratch() *[]*Conn { return scratch.Get().(*[]*Conn) }

func putScratch(p *[]*Conn) {
	s := *p
	clear(s) // drop references so closed connections can be collected
	if cap(s) > 1<<16 {
		return // do not keep a huge slice alive after a one-off spike
	}
	*p = s[:0]
	scratch.Put(p)
}
