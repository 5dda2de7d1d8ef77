package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/config"
)

var baseEnv = []string{
	"DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatforge?sslmode=disable",
	"REDIS_URL=redis://127.0.0.1:6379/0",
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse[Config](baseEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.Env != config.EnvDevelopment || cfg.AccessTokenTTL != 15*time.Minute ||
		cfg.RefreshTokenTTL != 720*time.Hour || cfg.HTTPBodyLimit != 1<<20 || cfg.RateLimitUser != 600 ||
		cfg.PasswordHashMemoryKiB != 65536 || len(cfg.CORSAllowedOrigins) != 2 || cfg.CORSAllowedOrigins[0] != "http://localhost:8083" {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	if cfg.HTTPReadTimeout != 15*time.Second || cfg.HTTPWriteTimeout != 30*time.Second {
		t.Errorf("HTTP read/write timeouts %s/%s, want 15s/30s", cfg.HTTPReadTimeout, cfg.HTTPWriteTimeout)
	}
	if cfg.StatementTimeout != 10*time.Second {
		t.Errorf("DB_STATEMENT_TIMEOUT default %s, want 10s", cfg.StatementTimeout)
	}
	if got := cfg.keyFile(); got != devKeyFile {
		t.Errorf("keyFile() = %q, want %q", got, devKeyFile)
	}
}

func TestConfigRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want []string // substrings of the error
	}{
		{"production needs a key and https",
			[]string{"APP_ENV=production", "PUBLIC_BASE_URL=http://chat.example.com"},
			[]string{"JWT_PRIVATE_KEY_FILE: required", "PUBLIC_BASE_URL: must use https"}},
		{"bad values are all listed",
			[]string{"API_ADDR=8080", "LOG_LEVEL=loud", "RATE_LIMIT_USER=0", "CORS_ALLOWED_ORIGINS=https://a.example/x", "TRUSTED_PROXIES=nope"},
			[]string{"API_ADDR:", "LOG_LEVEL:", "RATE_LIMIT_USER:", "CORS_ALLOWED_ORIGINS:", "TRUSTED_PROXIES:"}},
		{"request timeouts are positive",
			[]string{"HTTP_READ_TIMEOUT=0s", "HTTP_WRITE_TIMEOUT=-1s"},
			[]string{"HTTP_READ_TIMEOUT: must be positive", "HTTP_WRITE_TIMEOUT: must be positive"}},
		{"command consumer bounds",
			[]string{"COMMAND_SEND_SLOTS=0", "COMMAND_MAX_IN_FLIGHT=-1"},
			[]string{"COMMAND_SEND_SLOTS 1..64"}},
		{"shedding before the age limit",
			[]string{"COMMAND_SHED_AFTER=10s", "COMMAND_MAX_AGE=10s"},
			[]string{"COMMAND_SHED_AFTER: must be positive and below COMMAND_MAX_AGE"}},
		{"refresh outlives access",
			[]string{"ACCESS_TOKEN_TTL=1h", "REFRESH_TOKEN_TTL=30m"},
			[]string{"REFRESH_TOKEN_TTL: must be longer"}},
		{"argon2 floor in production",
			[]string{"APP_ENV=production", "JWT_PRIVATE_KEY_FILE=/k.pem", "PUBLIC_BASE_URL=https://chat.example.com", "PASSWORD_HASH_MEMORY_KIB=1024"},
			[]string{"PASSWORD_HASH_MEMORY_KIB: production needs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse[Config](append(append([]string{}, baseEnv...), tt.env...))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigProductionOK(t *testing.T) {
	t.Parallel()
	_, err := config.Parse[Config](append(append([]string{}, baseEnv...),
		"APP_ENV=production", "JWT_PRIVATE_KEY_FILE=/etc/chatforge/jwt.pem", "PUBLIC_BASE_URL=https://chat.example.com",
		"TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8", "CORS_ALLOWED_ORIGINS=https://app.example.com,http://localhost:3000"))
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunRejectsUnknownCommand(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := run(t.Context(), []string{"frob"}, nil, &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("run(frob) = %v", err)
	}
	if err := run(t.Context(), []string{"migrate", "sideways"}, nil, &out); err == nil {
		t.Error("run(migrate sideways) succeeded")
	}
	if err := run(t.Context(), []string{"serve"}, nil, &out); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("run(serve) without env = %v, want a DATABASE_URL problem", err)
	}
}
