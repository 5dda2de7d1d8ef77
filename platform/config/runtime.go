package config

import (
	"fmt"
	"net"
	"strings"
)

// Runtime is the block every binary shares: its deployment environment, log
// level and opt-in pprof listener. Embed it in an app config with
// `envPrefix:""`; cfg.Env, cfg.LogLevel and cfg.PprofAddr are then promoted.
// Parse validates it (Env through its own Validate, LOG_LEVEL here) even when
// the app config declares a Validate of its own.
type Runtime struct {
	Env      Env    `env:"APP_ENV" envDefault:"development"`
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// PprofAddr turns on the opt-in pprof listener (keep it on loopback).
	PprofAddr string `env:"PPROF_ADDR"`
}

// Validate checks LOG_LEVEL (debug, info, warn or error, in any case).
// APP_ENV is checked by Env.Validate, which Parse reaches as a nested field.
func (r Runtime) Validate() error {
	switch strings.ToLower(r.LogLevel) {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("LOG_LEVEL: must be one of debug, info, warn, error (got %q)", r.LogLevel)
}

// CheckAddr reports whether addr is a "host:port" listen address (the host
// may be empty, as in ":8080"); name is the variable it came from and starts
// the message, as Parse expects.
func CheckAddr(name, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s: want host:port, e.g. :8080 or 127.0.0.1:8080 (got %q)", name, addr)
	}
	return nil
}
