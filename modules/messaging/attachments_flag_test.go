package messaging_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

// countingLinker is an AttachmentLinker fake: Claim hands back one
// attachment per id (storing nothing); ForMessages records the ids it is
// asked for and answers for the claimed ones.
type countingLinker struct {
	mu      sync.Mutex
	claimed map[string][]messaging.Attachment
	asked   [][]string
}

func (l *countingLinker) Claim(_ *gorm.DB, _, roomID, messageID string, ids []string) ([]messaging.Attachment, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []messaging.Attachment
	for _, id := range ids {
		out = append(out, messaging.Attachment{ID: id, RoomID: roomID, Name: "a.txt", ContentType: "text/plain", Size: 1, URL: "/x"})
	}
	l.claimed[messageID] = out
	return out, nil
}

func (l *countingLinker) ForMessages(_ context.Context, ids []string) (map[string][]messaging.Attachment, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, slices.Clone(ids))
	out := map[string][]messaging.Attachment{}
	for _, id := range ids {
		if a, ok := l.claimed[id]; ok {
			out[id] = a
		}
	}
	return out, nil
}

func (l *countingLinker) DropMessageAttachments(context.Context, string) error { return nil }

func (l *countingLinker) lookups() [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() { l.asked = nil }()
	return l.asked
}

// TestPagesSkipAttachmentLookup: history and changedSince pages of
// messages without attachments make no attachments lookup (the
// has_attachments flag); with some, one lookup for just those messages.
func TestPagesSkipAttachmentLookup(t *testing.T) {
	db := openDB(t)
	links := &countingLinker{claimed: map[string][]messaging.Attachment{}}
	mod, err := messaging.New(messaging.Deps{DB: db, Redis: redisClient(t, testenv.Redis(t)), Log: quiet, Attachments: links})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	u := addUser(t, db)
	room := addRoom(t, db, u)
	for range 3 {
		if _, err := mod.SendMessage(ctx, u, messaging.SendInput{RoomID: room, Content: "plain"}); err != nil {
			t.Fatal(err)
		}
	}
	page := func() []messaging.Message {
		t.Helper()
		p, err := mod.History(ctx, u, room, messaging.HistoryQuery{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		c, err := mod.ChangedSince(ctx, u, room, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != len(c.Items) {
			t.Fatalf("history %d, changedSince %d messages", len(p.Items), len(c.Items))
		}
		return p.Items
	}
	page()
	if got := links.lookups(); len(got) != 0 {
		t.Fatalf("pages without attachments looked up %v", got)
	}

	with, err := mod.SendMessage(ctx, u, messaging.SendInput{RoomID: room, AttachmentIDs: []string{"00000000-0000-4000-8000-0000000000a1"}})
	if err != nil {
		t.Fatal(err)
	}
	items := page()
	got := links.lookups()
	if len(got) != 2 || !slices.Equal(got[0], []string{with.ID}) || !slices.Equal(got[1], []string{with.ID}) {
		t.Fatalf("lookups %v, want [%s] for each page", got, with.ID)
	}
	for _, m := range items {
		if want := m.ID == with.ID; (len(m.Attachments) == 1) != want {
			t.Errorf("message %s has %d attachments", m.ID, len(m.Attachments))
		}
	}
	// Deleted, it has none to look up.
	if _, err := mod.DeleteMessage(ctx, u, with.ID); err != nil {
		t.Fatal(err)
	}
	links.lookups()
	page()
	if got := links.lookups(); len(got) != 0 {
		t.Fatalf("pages after the delete looked up %v", got)
	}
}
