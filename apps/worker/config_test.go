package main

import (
	"strings"
	"testing"

	"github.com/chatforge/chat/platform/config"
)

var baseEnv = []string{
	"DATABASE_URL=postgres://postgres@127.0.0.1:5432/x?sslmode=disable",
	"REDIS_URL=redis://127.0.0.1:6379/0",
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := config.Parse[Config](baseEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8082" || cfg.Concurrency != 10 || cfg.SMTPTLS != "none" || cfg.vapidFile() != devVAPIDFile {
		t.Errorf("defaults %+v", cfg)
	}
}

func TestConfigNamesEveryProblem(t *testing.T) {
	env := append([]string{
		"WORKER_CONCURRENCY=0", "SMTP_ADDR=nohost", "SMTP_TLS=ssl", "SMTP_FROM=not an address",
		"PUBLIC_BASE_URL=ftp://x", "VAPID_PUBLIC_KEY=abc", "WORKER_ADMIN_USER=ops",
	}, baseEnv...)
	_, err := config.Parse[Config](env)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, name := range []string{"WORKER_CONCURRENCY", "SMTP_ADDR", "SMTP_TLS", "SMTP_FROM", "PUBLIC_BASE_URL",
		"VAPID_PUBLIC_KEY", "WORKER_ADMIN_PASSWORD"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestConfigProductionNeedsKeysAndHTTPS(t *testing.T) {
	_, err := config.Parse[Config](append([]string{"APP_ENV=production", "PUBLIC_BASE_URL=http://chat.example.com"}, baseEnv...))
	if err == nil || !strings.Contains(err.Error(), "VAPID") || !strings.Contains(err.Error(), "https") {
		t.Fatalf("production config: %v, want VAPID keys and https required", err)
	}
}

func TestRedactPayload(t *testing.T) {
	got := redactPayload("email:verify", []byte(`{"email":"a@b.c","token":"secret","link":"https://x/?token=secret"}`))
	if strings.Contains(got, "secret") || !strings.Contains(got, "a@b.c") {
		t.Errorf("redacted payload %s", got)
	}
}

// TestConfigHousekeepingInterval: seconds are allowed outside production
// (tests watch a sweep), down to 2s; production keeps at least a minute.
func TestConfigHousekeepingInterval(t *testing.T) {
	for _, c := range []struct {
		env []string
		ok  bool
	}{
		{[]string{"HOUSEKEEPING_INTERVAL=2s", "ATTACHMENT_ORPHAN_GRACE=1s"}, true},
		{[]string{"HOUSEKEEPING_INTERVAL=1s"}, false},
		{[]string{"ATTACHMENT_ORPHAN_GRACE=500ms"}, false},
		{[]string{"HOUSEKEEPING_INTERVAL=30s", "APP_ENV=production"}, false},
	} {
		_, err := config.Parse[Config](append(c.env, baseEnv...))
		if bad := err != nil && (strings.Contains(err.Error(), "HOUSEKEEPING_INTERVAL") || strings.Contains(err.Error(), "ATTACHMENT_ORPHAN_GRACE")); bad == c.ok {
			t.Errorf("%v: %v, want ok %v", c.env, err, c.ok)
		}
	}
}
