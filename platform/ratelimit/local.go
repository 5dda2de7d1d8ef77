package ratelimit

import (
	"container/heap"
	"hash/maphash"
	"sync"
	"time"
)

// localShards spreads the lock of the local states.
const localShards = 32

// local is AllowBatched's GCRA state per key in this instance, and the
// counts to report at the next sync with Redis.
type local struct {
	seed   maphash.Seed
	shards [localShards]localShard
	visits int // keys take looked at, for tests; take runs on one goroutine
}

// localShard holds the states of its keys. Every key in keys is in dirty
// (pending > 0) or in drains, or both, so take finds all it must do there
// without scanning keys: a sync costs the keys used since the last one,
// plus those due to drain, not every key kept.
type localShard struct {
	mu     sync.Mutex
	keys   map[string]*localKey
	dirty  []*localKey // the keys whose pending went from 0 to more since the last take
	drains drainQueue  // the keys reported at least once, by when they drain
}

// localKey is one key's GCRA state in this instance.
type localKey struct {
	key     string
	lim     Limit
	tat     time.Time // theoretical arrival time, the GCRA state; it never decreases
	pending int       // events admitted since the last sync; > 0 iff in dirty
	queued  bool      // in drains
}

func newLocal() *local {
	l := &local{seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].keys = make(map[string]*localKey)
	}
	return l
}

func (l *local) shard(key string) *localShard {
	return &l.shards[maphash.String(l.seed, key)%localShards]
}

// allow is the GCRA decision, as redis_rate's: an event is allowed when
// tat + T - Burst*T <= now, where T = Period/Rate.
func (l *local) allow(key string, lim Limit, now time.Time) (bool, time.Duration) {
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[key]
	if k == nil {
		k = &localKey{key: key, lim: lim, tat: now}
		s.keys[key] = k
	}
	k.lim = lim
	emission := lim.Period / time.Duration(lim.Rate)
	tat := k.tat
	if tat.Before(now) {
		tat = now
	}
	newTat := tat.Add(emission)
	allowAt := newTat.Add(-emission * time.Duration(lim.Burst))
	if allowAt.After(now) {
		return false, allowAt.Sub(now)
	}
	k.tat = newTat
	s.addPending(k, 1)
	return true, 0
}

// addPending counts n more events of k to report. Called with s.mu held.
func (s *localShard) addPending(k *localKey, n int) {
	if k.pending == 0 {
		s.dirty = append(s.dirty, k)
	}
	k.pending += n
}

// due is one key's count to report.
type due struct {
	key   string
	k     *localKey
	lim   Limit
	count int
}

// take collects and resets the pending counts, and forgets keys that are
// idle and fully drained (the same as no state). It looks only at the
// keys admitted since the last take and at those whose drain time came.
func (l *local) take(now time.Time) []due {
	var out []due
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		// Forget first, so a key reported below is kept until learn.
		for len(s.drains) > 0 && !s.drains[0].at.After(now) {
			k := heap.Pop(&s.drains).(drainAt).k
			l.visits++
			switch {
			case k.pending > 0: // dirty: queued again below
				k.queued = false
			case k.tat.After(now): // learned or admitted more since queued
				heap.Push(&s.drains, drainAt{at: k.tat, k: k})
			default:
				k.queued = false
				delete(s.keys, k.key)
			}
		}
		for _, k := range s.dirty {
			l.visits++
			out = append(out, due{key: k.key, k: k, lim: k.lim, count: k.pending})
			k.pending = 0
			if !k.queued {
				k.queued = true
				heap.Push(&s.drains, drainAt{at: k.tat, k: k})
			}
		}
		clear(s.dirty) // no stale pointers keep forgotten keys alive
		s.dirty = s.dirty[:0]
		s.mu.Unlock()
	}
	return out
}

// learn takes the shared state (drains reset after now) as the local one;
// events admitted here since the counts were taken come on top.
func (l *local) learn(d due, reset time.Duration, now time.Time) {
	s := l.shard(d.key)
	s.mu.Lock()
	defer s.mu.Unlock()
	emission := d.lim.Period / time.Duration(d.lim.Rate)
	shared := now.Add(reset + emission*time.Duration(d.k.pending))
	if shared.After(d.k.tat) {
		d.k.tat = shared
	}
	s.keep(d.k)
}

// carry gives back the count of a report that failed, to go with the next
// sync, so a Redis hiccup forgets no admission. Only the part not yet
// drained locally is carried: the rest would charge Redis for budget that
// has refilled meanwhile. That bounds the debt too: a long outage keeps
// at most each key's undrained events, and drained keys are forgotten.
func (l *local) carry(d due, now time.Time) {
	s := l.shard(d.key)
	s.mu.Lock()
	defer s.mu.Unlock()
	emission := d.lim.Period / time.Duration(d.lim.Rate)
	undrained := (d.k.tat.Sub(now) + emission - 1) / emission
	if n := min(d.count, int(max(undrained, 0))); n > 0 {
		s.addPending(d.k, n)
	}
	s.keep(d.k)
}

// keep puts back k if it was forgotten since it was taken, so what Redis
// said, or a carried count, is not lost. take does not forget the keys it
// reports, so only a second Run at once could. Called with s.mu held.
func (s *localShard) keep(k *localKey) {
	if _, ok := s.keys[k.key]; ok {
		return
	}
	s.keys[k.key] = k
	if !k.queued {
		k.queued = true
		heap.Push(&s.drains, drainAt{at: k.tat, k: k})
	}
}

// drainAt is a key and a time it is drained at, or before (its tat then:
// tat only grows, so the key is looked at again no later than it drains).
type drainAt struct {
	at time.Time
	k  *localKey
}

// drainQueue is a min-heap of drainAt by at (container/heap).
type drainQueue []drainAt

func (q drainQueue) Len() int           { return len(q) }
func (q drainQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q drainQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *drainQueue) Push(x any)        { *q = append(*q, x.(drainAt)) }
func (q *drainQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = drainAt{}
	*q = old[:len(old)-1]
	return x
}

// len counts the local keys, for tests.
func (l *local) len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.keys)
		s.mu.Unlock()
	}
	return n
}
