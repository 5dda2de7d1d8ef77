package wsout

import (
	"sync"
	"testing"

	"github.com/olahol/melody"
)

// Each session finds its own value, from any goroutine, until deleted.
func TestRegistry(t *testing.T) {
	t.Parallel()
	var r Registry[int]
	sessions := make([]*melody.Session, 500)
	for i := range sessions {
		sessions[i] = &melody.Session{}
	}
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() { r.Put(s, i+1) })
	}
	wg.Wait()
	for i, s := range sessions {
		if got := r.Get(s); got != i+1 {
			t.Fatalf("session %d: got %d", i, got)
		}
	}
	for _, s := range sessions[:250] {
		wg.Go(func() { r.Delete(s) })
	}
	wg.Wait()
	for i, s := range sessions {
		want := i + 1
		if i < 250 {
			want = 0
		}
		if got := r.Get(s); got != want {
			t.Fatalf("session %d after deletes: got %d, want %d", i, got, want)
		}
	}
}
