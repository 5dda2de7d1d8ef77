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
	m  map[string]connSet
}

// connSet is the connections filed under one key. Most keys (a user, a
// session) have one: it sits in one, and the map is made only for a
// second (a small map costs ~150 bytes, per socket under each key).
type connSet struct {
	one  *Conn
	more map[*Conn]struct{} // when set, every connection is here (one is nil)
}

func newIndex() *index {
	x := &index{seed: maphash.MakeSeed()}
	for i := range x.shards {
		x.shards[i].m = make(map[string]connSet)
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
	switch {
	case set.more != nil:
		set.more[c] = struct{}{}
	case set.one == nil:
		set.one = c
	case set.one != c:
		set.more = map[*Conn]struct{}{set.one: {}, c: {}}
		set.one = nil
	}
	s.m[key] = set
	s.mu.Unlock()
}

func (x *index) remove(key string, c *Conn) {
	s := x.shard(key)
	s.mu.Lock()
	if set, ok := s.m[key]; ok {
		if set.more != nil {
			delete(set.more, c)
		} else if set.one == c {
			set.one = nil
		}
		if set.one == nil && len(set.more) == 0 {
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
	dst = s.m[key].appendTo(dst)
	s.mu.RUnlock()
	return dst
}

func (set connSet) appendTo(dst []*Conn) []*Conn {
	if set.one != nil {
		dst = append(dst, set.one)
	}
	for c := range set.more {
		dst = append(dst, c)
	}
	return dst
}

// appendAll appends every connection of the index to dst (each once per key
// it is filed under: use it on an index where a connection has one key).
func (x *index) appendAll(dst []*Conn) []*Conn {
	for i := range x.shards {
		s := &x.shards[i]
		s.mu.RLock()
		for _, set := range s.m {
			dst = set.appendTo(dst)
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
