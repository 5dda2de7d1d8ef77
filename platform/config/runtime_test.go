package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatforge/chat/platform/config"
)

func TestRuntimeValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		level string
		fail  bool
	}{
		{"debug", false},
		{"info", false},
		{"warn", false},
		{"error", false},
		{"DEBUG", false}, // case-insensitive, as logging.New accepts
		{"", true},
		{"loud", true},
		{"warning", true},
	} {
		err := config.Runtime{Env: config.EnvDevelopment, LogLevel: tt.level}.Validate()
		if (err != nil) != tt.fail {
			t.Errorf("Runtime{LogLevel: %q}.Validate() = %v, want fail=%v", tt.level, err, tt.fail)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "LOG_LEVEL: ") {
			t.Errorf("message %q does not start with the variable", err)
		}
	}
}

func TestRuntimeParse(t *testing.T) {
	t.Parallel()
	type app struct {
		config.Runtime `envPrefix:""`
		Addr           string `env:"APP_ADDR" envDefault:":9000"`
	}
	cfg, err := config.Parse[app](nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Env != config.EnvDevelopment || cfg.LogLevel != "info" || cfg.PprofAddr != "" {
		t.Errorf("defaults not applied: %+v", cfg.Runtime)
	}

	_, err = config.Parse[app]([]string{"APP_ENV=staging", "LOG_LEVEL=loud"})
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Parse error = %v, want *config.Error", err)
	}
	for _, w := range []string{"APP_ENV: ", "LOG_LEVEL: "} {
		if !containsPrefix(cerr.Problems, w) {
			t.Errorf("problems lack %q: %q", w, cerr.Problems)
		}
	}
	if len(cerr.Problems) != 2 {
		t.Errorf("got %d problems, want 2: %q", len(cerr.Problems), cerr.Problems)
	}
}

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr string
		fail bool
	}{
		{":8080", false},
		{"127.0.0.1:8080", false},
		{"localhost:6060", false},
		{"[::1]:8080", false},
		{"8080", true},
		{"", true},
		{"host", true},
		{"::1:8080", true},
	} {
		err := config.CheckAddr("API_ADDR", tt.addr)
		if (err != nil) != tt.fail {
			t.Errorf("CheckAddr(%q) = %v, want fail=%v", tt.addr, err, tt.fail)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "API_ADDR: ") || !strings.Contains(err.Error(), "host:port")) {
			t.Errorf("CheckAddr(%q) message %q should start with the variable and ask for host:port", tt.addr, err)
		}
	}
}
