package app_test

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/keys/internal/app"
	"github.com/chatforge/chat/modules/keys/internal/domain"
	"github.com/chatforge/chat/modules/keys/keystest"
)

func bundle(session string) domain.Device {
	k := base64.StdEncoding.EncodeToString(make([]byte, 32))
	return domain.Device{DeviceID: session, IdentityKey: k,
		SignedPreKey: domain.SignedPreKey{PreKey: domain.PreKey{KeyID: 1, PublicKey: k}, Signature: k}}
}

func newApp() (*app.App, *keystest.Store, *keystest.Notifier) {
	s, n := keystest.NewStore(), &keystest.Notifier{}
	peers := keystest.Peers{"ann": {"bob"}, "bob": {"ann"}}
	return app.New(s, peers, n, time.Now, slog.New(slog.DiscardHandler)), s, n
}

func TestPublishAnnouncesNewDevices(t *testing.T) {
	a, _, n := newApp()
	ctx := context.Background()
	ann := app.Caller{UserID: "ann", SessionID: "s1"}
	if err := a.PublishDevice(ctx, ann, bundle("s2")); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("another session's id: %v, want ErrInvalid", err)
	}
	if err := a.PublishDevice(ctx, ann, bundle("s1")); err != nil {
		t.Fatal(err)
	}
	if err := a.PublishDevice(ctx, ann, bundle("s1")); err != nil { // same identity: a signed prekey rotation
		t.Fatal(err)
	}
	want := []keystest.Announced{{UserID: "ann", To: []string{"bob", "ann"}}}
	if !slices.EqualFunc(n.Got, want, func(a, b keystest.Announced) bool { return a.UserID == b.UserID && slices.Equal(a.To, b.To) }) {
		t.Errorf("announced %+v, want %+v", n.Got, want)
	}
}

func TestClaimOnlyPeers(t *testing.T) {
	a, s, _ := newApp()
	ctx := context.Background()
	s.Put(domain.Device{UserID: "bob", DeviceID: "b1"})
	s.Put(domain.Device{UserID: "eve", DeviceID: "e1"})
	got, err := a.Claim(ctx, app.Caller{UserID: "ann", SessionID: "a1"}, []string{"bob", "eve", "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].UserID != "bob" {
		t.Errorf("claimed %+v, want bob's device only (eve shares no room)", got)
	}
	if _, err := a.Claim(ctx, app.Caller{UserID: "ann"}, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("no users: %v", err)
	}
}
