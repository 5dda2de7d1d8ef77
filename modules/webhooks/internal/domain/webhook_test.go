package domain

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// The signature is the documented HMAC-SHA256 of "timestamp.body"; this
// vector was computed independently:
// printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
func TestSignature(t *testing.T) {
	got := Signature("whsec_test", time.Unix(1700000000, 0), []byte(`{"a":1}`))
	if got != "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789" {
		t.Errorf("signature %s", got)
	}
}

func TestNewWebhook(t *testing.T) {
	if _, err := NewWebhook(uuid.New(), uuid.New(), "https://x.example", nil, time.Now()); err == nil {
		t.Error("no events accepted")
	}
	if _, err := NewWebhook(uuid.New(), uuid.New(), "https://x.example", []string{"typing"}, time.Now()); err == nil {
		t.Error("unknown event accepted")
	}
	w, err := NewWebhook(uuid.New(), uuid.New(), "https://x.example", []string{"message", "message", "message-updated"}, time.Now())
	if err != nil || len(w.Events) != 2 || len(w.Secret) != 70 || !w.Takes("message") {
		t.Errorf("hook %+v err %v", w, err)
	}
	now := time.Now()
	w.DisabledAt = &now
	if w.Takes("message") {
		t.Error("disabled hook takes events")
	}
}
