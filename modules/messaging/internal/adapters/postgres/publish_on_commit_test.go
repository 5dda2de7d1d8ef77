package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

// With PublishOnCommit, each committed send (single or batch) hands its
// message.created records, with their outbox ids and seqs, to the
// publisher after the commit; the relay leaves them to it for the grace
// but takes every other event at once; what the publisher removes is gone,
// what it does not (its process died) the relay takes after the grace,
// seqs included.
func TestPublishOnCommit(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	var (
		mu   sync.Mutex
		got  []domain.Record
		errs []error
	)
	const grace = 300 * time.Millisecond
	s.PublishOnCommit(func(_ context.Context, recs []domain.Record) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, recs...)
	}, grace)
	a := app.New(ports(s), app.Options{PublishOnCommit: true})
	u := addUser(t, db)
	if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "one"}); err != nil {
		t.Fatal(err)
	}
	res := a.SendMessages(t.Context(), []app.SendRequest{{UserID: u, Input: app.SendInput{Content: "two"}},
		{UserID: u, Input: app.SendInput{Content: "three"}}, {UserID: u, Input: app.SendInput{Content: "four"}}})
	for _, r := range res {
		errs = append(errs, r.Err)
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.MarkRead(t.Context(), addUser(t, db), domain.GlobalRoomID, 2); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	recs := slices.Clone(got)
	mu.Unlock()
	if len(recs) != 4 {
		t.Fatalf("published on commit: %d records, want 4", len(recs))
	}
	for i, r := range recs {
		var data struct {
			Seq     int64  `json:"seq"`
			Content string `json:"content"`
		}
		var ev struct{ Message json.RawMessage }
		_ = json.Unmarshal(r.Data, &ev)
		_ = json.Unmarshal(ev.Message, &data)
		var inOutbox string
		if err := db.Raw(`SELECT event_id::text FROM outbox WHERE id = ?`, r.OutboxID).Row().Scan(&inOutbox); err != nil {
			t.Fatalf("record %d: outbox row %d: %v", i, r.OutboxID, err)
		}
		want := []string{"one", "two", "three", "four"}[i]
		if r.Type != domain.EventMessageCreated || r.Seq != int64(i+1) || inOutbox != r.EventID || r.RoomID != domain.GlobalRoomID ||
			data.Content != want || r.At.IsZero() {
			t.Errorf("record %d = %+v (content %q, outbox event %s); want message.created seq %d %q", i, r, data.Content, inOutbox, i+1, want)
		}
	}

	// Within the grace, the relay takes only the receipt.
	var drained []domain.Record
	drain := func() int {
		t.Helper()
		n, err := s.Drain(t.Context(), 10, func(_ context.Context, rs []domain.Record) error {
			drained = append(drained, rs...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := drain(); n != 1 || drained[0].Type != domain.EventReceiptUpdated {
		t.Fatalf("drain within the grace took %d records (%+v), want the receipt only", n, drained)
	}
	// The first two were published and removed; the others' process "died".
	if err := s.RemovePublished(t.Context(), []int64{recs[0].OutboxID, recs[1].OutboxID}); err != nil {
		t.Fatal(err)
	}
	drained = nil
	deadline := time.Now().Add(10 * time.Second)
	for len(drained) < 2 && time.Now().Before(deadline) {
		drain()
		time.Sleep(grace / 4)
	}
	if len(drained) != 2 || drained[0].EventID != recs[2].EventID || drained[1].EventID != recs[3].EventID ||
		drained[0].Seq != 3 || drained[1].Seq != 4 {
		t.Fatalf("after the grace the relay took %+v, want the records of seq 3 and 4 with their seqs", drained)
	}
}
