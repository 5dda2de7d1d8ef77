package config_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/chatforge/chat/platform/config"
)

func TestMasked(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse[appConfig](append(validEnv,
		"SMTP_PASSWORD=smtp-secret",
		"CORS_ORIGINS=https://app.example",
	))
	if err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", config.Masked(&cfg))
	out := buf.String()

	for _, secret := range []string{"s3cret", "r3dis", "smtp-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line leaks %q: %s", secret, out)
		}
	}

	var rec struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"DATABASE_URL":         "postgres://chat:***@db:5432/chat?sslmode=disable",
		"REDIS_URL":            "redis://:***@cache:6379/0",
		"SMTP_PASSWORD":        "***",
		"API_ADDR":             ":8080",
		"APP_ENV":              "development",
		"DB_CONN_MAX_LIFETIME": "30m0s",
		"DB_MAX_OPEN_CONNS":    float64(20),
	}
	for k, v := range want {
		if rec.Config[k] != v {
			t.Errorf("%s = %#v, want %#v", k, rec.Config[k], v)
		}
	}
}

func TestMaskedUnsetSecretStaysEmpty(t *testing.T) {
	t.Parallel()
	v := config.Masked(struct {
		Key string `env:"KEY" secret:"true"`
	}{})
	if got := v.Group()[0].Value.String(); got != "" {
		t.Errorf("unset secret rendered as %q, want empty", got)
	}
}

func TestMaskedStrings(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://u:p@h:5432/db", "postgres://u:***@h:5432/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://h/db?user=u&password=p&sslmode=require", "postgres://h/db?user=u&password=***&sslmode=require"},
		{"rediss://default:p%40ss@h:6380/1", "rediss://default:***@h:6380/1"},
		{"postgres://u:bad%zz@h/db", "postgres://***@h/db"}, // unparsable: whole user info hidden
		{"host=db user=u password=p dbname=chat", "host=db user=u password=*** dbname=chat"},
		{"https://app.example", "https://app.example"},
		{":8080", ":8080"},
	}
	for _, tt := range tests {
		v := config.Masked(struct {
			S string `env:"S"`
		}{tt.in})
		if got := v.Group()[0].Value.String(); got != tt.want {
			t.Errorf("Masked(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskedNested(t *testing.T) {
	t.Parallel()
	type smtp struct {
		Addr string `env:"ADDR"`
		Pass string `env:"PASS" secret:"true"`
	}
	v := config.Masked(struct {
		SMTP smtp   `envPrefix:"SMTP_"`
		Skip string `env:"-"`
	}{SMTP: smtp{Addr: "mail:25", Pass: "x"}, Skip: "hidden"})

	attrs := v.Group()
	if len(attrs) != 1 || attrs[0].Key != "SMTP" {
		t.Fatalf("attrs = %v, want one SMTP group", attrs)
	}
	got := map[string]string{}
	for _, a := range attrs[0].Value.Group() {
		got[a.Key] = a.Value.String()
	}
	if got["SMTP_ADDR"] != "mail:25" || got["SMTP_PASS"] != "***" {
		t.Errorf("nested = %v", got)
	}
}
