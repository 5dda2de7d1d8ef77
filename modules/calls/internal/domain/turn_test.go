package domain

import (
	"testing"
	"time"
)

// The vector was computed independently:
// printf 1700000000:alice | openssl dgst -sha1 -hmac north-wind-secret -binary | base64
func TestTURNCredential(t *testing.T) {
	user, pass := TURNCredential("north-wind-secret", "alice", time.Unix(1700000000, 0))
	if user != "1700000000:alice" || pass != "r/l6ttQtMIfbS2lfULS0mDRRNUg=" {
		t.Fatalf("got %q %q", user, pass)
	}
	if _, other := TURNCredential("another-secret!!", "alice", time.Unix(1700000000, 0)); other == pass {
		t.Fatal("the secret does not change the password")
	}
}
