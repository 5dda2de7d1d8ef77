package authn_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/testenv"
)

// TestBotTokens: the Redis mirror resolves what was put, forgets what was
// deleted, and Sync (the reseed) makes it agree with a whole table in
// batches.
func TestBotTokens(t *testing.T) {
	b := authn.NewBotTokens(testenv.RedisClient(t))
	ctx := t.Context()
	tok := authn.BotTokenPrefix + "one"
	if _, err := b.ResolveBot(ctx, tok); !errors.Is(err, authn.ErrUnknownBotToken) {
		t.Fatalf("unknown token: %v", err)
	}
	if err := b.Put(ctx, authn.HashBotToken(tok), "bot-1"); err != nil {
		t.Fatal(err)
	}
	p, err := b.ResolveBot(ctx, tok)
	if err != nil || p != authn.BotPrincipal("bot-1") || !p.Bot || p.SessionID != "bot-1" {
		t.Fatalf("resolved %+v %v", p, err)
	}

	live := map[[32]byte]string{}
	for i := range 1200 { // more than one pipeline batch
		live[authn.HashBotToken(fmt.Sprint("live-", i))] = fmt.Sprint("bot-", i)
	}
	if err := b.Sync(ctx, live, [][32]byte{authn.HashBotToken(tok)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ResolveBot(ctx, tok); !errors.Is(err, authn.ErrUnknownBotToken) {
		t.Errorf("revoked token after Sync: %v", err)
	}
	if p, err := b.ResolveBot(ctx, "live-1199"); err != nil || p.UserID != "bot-1199" {
		t.Errorf("live token after Sync: %+v %v", p, err)
	}
}

func TestCredentials(t *testing.T) {
	for _, c := range []struct{ in, scheme, tok string }{
		{"Bearer abc", "bearer", "abc"}, {"bot  cfbot_x ", "bot", "cfbot_x"}, {"Basic x", "", ""}, {"Bot", "", ""}, {"", "", ""},
	} {
		if s, tok := authn.Credentials(c.in); s != c.scheme || tok != c.tok {
			t.Errorf("Credentials(%q) = %q %q, want %q %q", c.in, s, tok, c.scheme, c.tok)
		}
	}
}
