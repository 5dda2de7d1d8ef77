package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/config"
)

// appConfig mirrors how a binary declares its configuration.
type appConfig struct {
	config.Postgres `envPrefix:""`
	config.Redis    `envPrefix:""`

	Env       config.Env    `env:"APP_ENV" envDefault:"development"`
	Addr      string        `env:"API_ADDR" envDefault:":8080"`
	SMTPPass  string        `env:"SMTP_PASSWORD" secret:"true"`
	Origins   []string      `env:"CORS_ORIGINS"`
	Timeout   time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"10s"`
	Workers   int           `env:"WORKERS" envDefault:"4"`
	BodyLimit int64         `env:"BODY_LIMIT" envDefault:"1048576"`
}

// Validate is the app's own rule; Parse must call it alongside the blocks'.
func (c appConfig) Validate() error {
	if c.Workers > 64 {
		return errors.New("WORKERS: must be at most 64")
	}
	return nil
}

var validEnv = []string{
	"DATABASE_URL=postgres://chat:s3cret@db:5432/chat?sslmode=disable",
	"REDIS_URL=redis://:r3dis@cache:6379/0",
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse[appConfig](append(validEnv, "CORS_ORIGINS=https://a.example,https://b.example", "APP_ENV=production"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Postgres.MaxOpenConns != 20 || cfg.Postgres.ConnMaxLifetime != 30*time.Minute {
		t.Errorf("Postgres defaults not applied: %+v", cfg.Postgres)
	}
	if cfg.Addr != ":8080" || cfg.Timeout != 10*time.Second || len(cfg.Origins) != 2 {
		t.Errorf("unexpected config %+v", cfg)
	}
	if !cfg.Env.IsProduction() {
		t.Errorf("Env = %q, want production", cfg.Env)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		environ []string
		want    []string // each must appear among the problems
		wantN   int
	}{
		{
			name:    "every problem listed at once",
			environ: []string{"APP_ENV=prod", "WORKERS=many", "SHUTDOWN_TIMEOUT=soon", "DB_MAX_IDLE_CONNS=50"},
			want: []string{
				"DATABASE_URL: required but not set",
				"REDIS_URL: required but not set",
				`WORKERS: invalid int value "many": invalid syntax`,
				"SHUTDOWN_TIMEOUT: invalid time.Duration value",
				`APP_ENV: must be one of development, test, production (got "prod")`,
				"DB_MAX_IDLE_CONNS: must be between 0 and DB_MAX_OPEN_CONNS",
			},
			// No follow-up "must not be empty" for the unset URLs.
			wantN: 6,
		},
		{
			name:    "validate of blocks and app",
			environ: []string{"DATABASE_URL=mysql://x@y/z", "REDIS_URL=redis://h", "REDIS_POOL_SIZE=-1", "WORKERS=100"},
			want: []string{
				"DATABASE_URL: scheme must be one of postgres://, postgresql://",
				"REDIS_POOL_SIZE: must not be negative",
				"WORKERS: must be at most 64",
			},
			wantN: 3,
		},
		{
			name:    "empty values",
			environ: []string{"DATABASE_URL=", "REDIS_URL=redis://h", "DB_MAX_OPEN_CONNS=0", "DB_MAX_IDLE_CONNS=0"},
			want:    []string{"DATABASE_URL: must not be empty", "DB_MAX_OPEN_CONNS: must be at least 1"},
			wantN:   2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse[appConfig](tt.environ)
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Parse error = %v (%T), want *config.Error", err, err)
			}
			for _, w := range tt.want {
				if !containsPrefix(cerr.Problems, w) {
					t.Errorf("problems lack %q\ngot: %q", w, cerr.Problems)
				}
			}
			if len(cerr.Problems) != tt.wantN {
				t.Errorf("got %d problems, want %d: %q", len(cerr.Problems), tt.wantN, cerr.Problems)
			}
			if !strings.HasPrefix(err.Error(), "invalid configuration: ") {
				t.Errorf("message %q lacks the prefix", err.Error())
			}
			if cfg.Addr != "" {
				t.Errorf("Parse returned a partly filled config on error: %+v", cfg)
			}
		})
	}
}

func TestParseErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	_, err := config.Parse[appConfig]([]string{"DATABASE_URL=postgres://u:hunter2@h/%zz", "REDIS_URL=redis://h"})
	if err == nil {
		t.Fatal("want an error for an invalid URL")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestParseDedupesPromotedValidate(t *testing.T) {
	t.Parallel()
	// Only one block embedded: its Validate is promoted to the outer struct,
	// so Parse reaches it twice; the problem must be listed once.
	type single struct {
		config.Redis `envPrefix:""`
	}
	_, err := config.Parse[single]([]string{"REDIS_URL=http://h"})
	var cerr *config.Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
		t.Fatalf("Parse = %v, want exactly one problem", err)
	}
}

func TestEnvValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  config.Env
		fail bool
	}{
		{config.EnvDevelopment, false},
		{config.EnvTest, false},
		{config.EnvProduction, false},
		{"", true},
		{"Production", true},
		{"staging", true},
	} {
		if err := tt.env.Validate(); (err != nil) != tt.fail {
			t.Errorf("Env(%q).Validate() = %v, want fail=%v", tt.env, err, tt.fail)
		}
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
