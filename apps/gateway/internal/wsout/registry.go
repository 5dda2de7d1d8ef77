package wsout

import (
	"sync"
	"unsafe"

	"github.com/olahol/melody"
)

// Registry maps melody sessions to the caller's state of each, in place of
// melody's per-session Keys: a map of one entry costs about 330 bytes a
// socket for its whole life, an entry here about 30. Safe for concurrent
// use.
type Registry[V any] struct {
	shards [regShards]regShard[V]
}

const regShards = 64

type regShard[V any] struct {
	mu sync.RWMutex
	m  map[*melody.Session]V
}

func (r *Registry[V]) shard(s *melody.Session) *regShard[V] {
	// Sessions are heap objects of one size class: the bits above the
	// object's alignment spread them over the shards.
	return &r.shards[(uintptr(unsafe.Pointer(s))>>7)%regShards]
}

// Put files v under s.
func (r *Registry[V]) Put(s *melody.Session, v V) {
	sh := r.shard(s)
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[*melody.Session]V)
	}
	sh.m[s] = v
	sh.mu.Unlock()
}

// Get returns what is filed under s (the zero V if nothing).
func (r *Registry[V]) Get(s *melody.Session) V {
	sh := r.shard(s)
	sh.mu.RLock()
	v := sh.m[s]
	sh.mu.RUnlock()
	return v
}

// Delete forgets s.
func (r *Registry[V]) Delete(s *melody.Session) {
	sh := r.shard(s)
	sh.mu.Lock()
	delete(sh.m, s)
	sh.mu.Unlock()
}
