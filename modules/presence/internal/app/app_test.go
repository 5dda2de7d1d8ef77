package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// fakeStore records calls; Expire hands out `due` leases in batches.
// Renew finds only the leases acquired before.
type fakeStore struct {
	acquired []domain.Lease
	renewed  []domain.Lease
	released []string
	keep     time.Duration
	due      int
	calls    int
}

func (f *fakeStore) Acquire(_ context.Context, l []domain.Lease) (int, error) {
	f.acquired = append(f.acquired, l...)
	return len(l), nil
}
func (f *fakeStore) Renew(_ context.Context, ls []domain.Lease) ([]domain.Lease, error) {
	var missing []domain.Lease
	for _, l := range ls {
		found := false
		for _, a := range f.acquired {
			found = found || (a.UserID == l.UserID && a.ConnID == l.ConnID)
		}
		if found {
			f.renewed = append(f.renewed, l)
		} else {
			missing = append(missing, l)
		}
	}
	return missing, nil
}
func (f *fakeStore) Release(_ context.Context, u, c string, _ time.Time, keep time.Duration) (bool, error) {
	f.released = append(f.released, u+"|"+c)
	f.keep = keep
	return true, nil
}
func (f *fakeStore) Expire(_ context.Context, _ time.Time, _ time.Duration, limit int) (int, error) {
	f.calls++
	n := min(f.due, limit)
	f.due -= n
	return n, nil
}
func (f *fakeStore) Status(context.Context, string) (domain.Presence, error) {
	return domain.Presence{}, nil
}
func (f *fakeStore) PublishTyping(context.Context, domain.Typing) error { return nil }

func TestHeartbeatLeasesLastTTL(t *testing.T) {
	t.Parallel()
	now := time.Unix(100, 0)
	timing, _ := domain.NewTiming(30 * time.Second)
	f := &fakeStore{}
	s := New(f, f, timing, func() time.Time { return now })
	if err := s.Heartbeat(context.Background(), []Conn{{"u", "c1"}, {"u", "c2"}}); err != nil {
		t.Fatal(err)
	}
	// Missing leases (none was taken before) are taken explicitly.
	if len(f.acquired) != 2 || !f.acquired[0].Expires.Equal(now.Add(30*time.Second)) {
		t.Errorf("acquired %+v", f.acquired)
	}
	now = now.Add(10 * time.Second)
	if err := s.Heartbeat(context.Background(), []Conn{{"u", "c1"}, {"u", "c2"}}); err != nil {
		t.Fatal(err)
	}
	if len(f.acquired) != 2 || len(f.renewed) != 2 || !f.renewed[1].Expires.Equal(now.Add(30*time.Second)) {
		t.Errorf("second heartbeat: acquired %d, renewed %+v; want renewals only", len(f.acquired), f.renewed)
	}
	if err := s.Connect(context.Background(), Conn{"u|x", "c"}); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("bad id accepted: %v", err)
	}
	if err := s.Disconnect(context.Background(), Conn{"u", "c1"}); err != nil || f.released[0] != "u|c1" || f.keep != timing.TTL {
		t.Errorf("Disconnect: %v %v keep %v", err, f.released, f.keep)
	}
}

func TestSweepDrainsAllBatches(t *testing.T) {
	t.Parallel()
	timing, _ := domain.NewTiming(time.Minute)
	f := &fakeStore{due: 2*sweepBatch + 5}
	s := New(f, f, timing, time.Now)
	n, err := s.Sweep(context.Background())
	if err != nil || n != 2*sweepBatch+5 || f.calls != 3 {
		t.Errorf("Sweep = %d, %v after %d calls", n, err, f.calls)
	}
}
