package seed

import (
	"crypto/rand"
	"crypto/rsa"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/platform/authn"
)

func TestIDsAreUUIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{UserID(0), UserID(99999), SessionID(7), GroupRoomID(123), BigRoomID, messageID(5)} {
		if _, err := uuid.Parse(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestLayout(t *testing.T) {
	t.Parallel()
	l := Layout{Users: 105, RoomSize: 10, BigRoomMembers: 50, HistoryRooms: 3, MessagesPerRoom: 5}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	if l.GroupRooms() != 10 {
		t.Errorf("GroupRooms = %d", l.GroupRooms())
	}
	if r, ok := l.RoomOf(99); !ok || r != 9 {
		t.Errorf("RoomOf(99) = %d, %v", r, ok)
	}
	if _, ok := l.RoomOf(100); ok {
		t.Error("user 100 is in the partial last group, which has no room")
	}
	if (Layout{Users: 10, RoomSize: 10, HistoryRooms: 2}).Validate() == nil {
		t.Error("more history rooms than rooms accepted")
	}
}

func TestTokensAreCachedAndVerify(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer := authn.NewSigner(key, "iss", "aud", 24*time.Hour)
	path := filepath.Join(t.TempDir(), "tokens.txt")
	now := time.Now()
	if n, err := EnsureTokens(path, signer, "iss", "aud", 3, now); err != nil || n != 3 {
		t.Fatalf("first EnsureTokens = %d, %v", n, err)
	}
	if n, err := EnsureTokens(path, signer, "iss", "aud", 5, now); err != nil || n != 2 {
		t.Fatalf("second EnsureTokens minted %d (want only the 2 missing), %v", n, err)
	}
	toks, err := ReadTokens(path, 1, 5)
	if err != nil || len(toks) != 4 {
		t.Fatalf("ReadTokens = %d tokens, %v", len(toks), err)
	}
	v := authn.NewVerifier(map[string]*rsa.PublicKey{signer.KeyID(): &key.PublicKey}, "iss", "aud")
	c, err := v.Verify(toks[3], now)
	if err != nil || c.UserID != UserID(4) || c.SessionID != SessionID(4) {
		t.Fatalf("token 4 = %+v, %v", c, err)
	}
	// Another audience: the cache is not reused.
	if n, err := EnsureTokens(path, signer, "iss", "other", 2, now); err != nil || n != 2 {
		t.Fatalf("EnsureTokens for another audience minted %d, %v", n, err)
	}
	if _, err := ReadTokens(path, 0, 3); err == nil {
		t.Error("ReadTokens past the end succeeded")
	}
}
