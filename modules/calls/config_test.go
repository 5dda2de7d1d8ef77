package calls

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{RingTimeout: 30 * time.Second, SweepInterval: time.Second, MaxDuration: 12 * time.Hour, TURNCredentialTTL: time.Hour}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	withTURN := ok
	withTURN.TURNURLs, withTURN.TURNSecret, withTURN.STUNURLs = []string{"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"},
		"0123456789abcdef", []string{"stun:stun.example.com:3478"}
	if err := withTURN.Validate(); err != nil {
		t.Fatalf("TURN: %v", err)
	}
	for name, c := range map[string]Config{
		"CALL_RING_TIMEOUT":   func() Config { c := ok; c.RingTimeout = 0; return c }(),
		"TURN_SECRET: req":    func() Config { c := withTURN; c.TURNSecret = "short"; return c }(),
		"TURN_SECRET is set":  func() Config { c := ok; c.TURNSecret = "0123456789abcdef"; return c }(),
		"TURN_URLS: \"http":   func() Config { c := withTURN; c.TURNURLs = []string{"http://x"}; return c }(),
		"STUN_URLS":           func() Config { c := ok; c.STUNURLs = []string{"turn:x"}; return c }(),
		"TURN_CREDENTIAL_TTL": func() Config { c := ok; c.TURNCredentialTTL = time.Second; return c }(),
		"CALL_MAX_DURATION":   func() Config { c := ok; c.MaxDuration = time.Second; return c }(),
	} {
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
