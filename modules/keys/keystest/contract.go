package keystest

import (
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/keys/internal/app"
	"github.com/chatforge/chat/modules/keys/internal/domain"
)

// Env is a store under test and how to make its world: a user's new live
// session, and ending one (logout).
type Env struct {
	Store      app.Store
	NewSession func(t *testing.T, userID string) (sessionID string)
	EndSession func(t *testing.T, sessionID string)
	NewUser    func(t *testing.T) (userID string)
}

// RunStoreContract runs the app.Store contract against the store newEnv
// makes (one per subtest).
func RunStoreContract(t *testing.T, newEnv func(t *testing.T) Env) {
	ctx := context.Background()
	b64 := func(fill byte) string {
		b := make([]byte, 32)
		for i := range b {
			b[i] = fill
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	device := func(user, session string, id byte) domain.Device {
		return domain.Device{UserID: user, DeviceID: session, IdentityKey: b64(id),
			SignedPreKey: domain.SignedPreKey{PreKey: domain.PreKey{KeyID: 1, PublicKey: b64(2)}, Signature: b64(3)}}
	}
	keys := func(from, n int) []domain.PreKey {
		out := make([]domain.PreKey, n)
		for i := range out {
			out[i] = domain.PreKey{KeyID: int64(from + i), PublicKey: b64(byte(from + i))}
		}
		return out
	}

	t.Run("identity changes and one-time keys", func(t *testing.T) {
		e := newEnv(t)
		u := e.NewUser(t)
		s := e.NewSession(t, u)
		if _, err := e.Store.AddOneTime(ctx, s, keys(1, 2)); !errors.Is(err, domain.ErrNoDevice) {
			t.Errorf("one-time keys before the bundle: %v", err)
		}
		if changed, err := e.Store.PutDevice(ctx, device(u, s, 1), time.Now()); err != nil || !changed {
			t.Fatalf("new device: changed %v, %v", changed, err)
		}
		if n, err := e.Store.AddOneTime(ctx, s, keys(1, 3)); err != nil || n != 3 {
			t.Fatalf("upload: %d, %v", n, err)
		}
		if n, err := e.Store.AddOneTime(ctx, s, keys(2, 3)); err != nil || n != 4 {
			t.Errorf("upload overlapping ids: %d, %v; want 4 (ids held are ignored)", n, err)
		}
		if changed, err := e.Store.PutDevice(ctx, device(u, s, 1), time.Now()); err != nil || changed {
			t.Errorf("same identity: changed %v, %v", changed, err)
		}
		if n, _ := e.Store.CountOneTime(ctx, s); n != 4 {
			t.Errorf("a prekey rotation kept %d one-time keys, want 4", n)
		}
		if changed, err := e.Store.PutDevice(ctx, device(u, s, 9), time.Now()); err != nil || !changed {
			t.Errorf("new identity: changed %v, %v", changed, err)
		}
		if n, _ := e.Store.CountOneTime(ctx, s); n != 0 {
			t.Errorf("a new identity kept %d one-time keys, want 0", n)
		}
	})

	t.Run("a device holds at most MaxStored", func(t *testing.T) {
		e := newEnv(t)
		u := e.NewUser(t)
		s := e.NewSession(t, u)
		if _, err := e.Store.PutDevice(ctx, device(u, s, 1), time.Now()); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < domain.MaxStored; i += domain.MaxUpload {
			if _, err := e.Store.AddOneTime(ctx, s, keys(i, domain.MaxUpload)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.Store.AddOneTime(ctx, s, keys(domain.MaxStored, 1)); !errors.Is(err, domain.ErrFull) {
			t.Errorf("one key too many: %v, want ErrFull", err)
		}
		if n, _ := e.Store.CountOneTime(ctx, s); n != domain.MaxStored {
			t.Errorf("count %d, want %d", n, domain.MaxStored)
		}
	})

	t.Run("concurrent claims never share a key", func(t *testing.T) {
		e := newEnv(t)
		u, claimer := e.NewUser(t), e.NewUser(t)
		s := e.NewSession(t, u)
		mine := e.NewSession(t, claimer)
		if _, err := e.Store.PutDevice(ctx, device(u, s, 1), time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Store.AddOneTime(ctx, s, keys(1, 20)); err != nil {
			t.Fatal(err)
		}
		var (
			mu    sync.Mutex
			seen  = map[int64]int{}
			nulls int
			wg    sync.WaitGroup
		)
		for range 30 {
			wg.Go(func() {
				got, err := e.Store.Claim(ctx, []string{u}, mine)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || len(got) != 1 {
					t.Errorf("claim: %d devices, %v", len(got), err)
					return
				}
				if k := got[0].OneTimeKey; k != nil {
					seen[k.KeyID]++
				} else {
					nulls++
				}
			})
		}
		wg.Wait()
		for id, n := range seen {
			if n != 1 {
				t.Errorf("key %d handed out %d times", id, n)
			}
		}
		if len(seen) != 20 || nulls != 10 {
			t.Errorf("%d keys and %d nulls, want 20 and 10", len(seen), nulls)
		}
		// The claimer's own session is never in its answer.
		if got, _ := e.Store.Claim(ctx, []string{u}, s); len(got) != 0 {
			t.Errorf("claiming with the device's own session returned %+v", got)
		}
	})

	t.Run("keys go with their session", func(t *testing.T) {
		e := newEnv(t)
		u, claimer := e.NewUser(t), e.NewUser(t)
		s1, s2 := e.NewSession(t, u), e.NewSession(t, u)
		mine := e.NewSession(t, claimer)
		for _, s := range []string{s1, s2} {
			if _, err := e.Store.PutDevice(ctx, device(u, s, 1), time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Store.AddOneTime(ctx, s, keys(1, 2)); err != nil {
				t.Fatal(err)
			}
		}
		e.EndSession(t, s2)
		got, err := e.Store.Claim(ctx, []string{u}, mine)
		if err != nil || len(got) != 1 || got[0].DeviceID != s1 {
			t.Errorf("claim after a logout: %+v, %v; want only the live device", got, err)
		}
		if n, _ := e.Store.CountOneTime(ctx, s2); n != 0 {
			t.Errorf("the ended session keeps %d one-time keys", n)
		}
		if _, err := e.Store.PutDevice(ctx, device(u, s2, 1), time.Now()); !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("publishing for an ended session: %v, want ErrForbidden", err)
		}
	})
}
