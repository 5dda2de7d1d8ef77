// Package logging builds the structured (JSON) slog logger every binary uses
// and carries the request ID in a context so that each record logged with a
// request's context names the request it belongs to.
//
// The package holds no global logger: New returns one, and callers inject it.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a JSON logger writing to w at the given level (see ParseLevel).
// Every record logged with a context carrying a request ID (WithRequestID)
// gets a "request_id" attribute, so use the *Context logging methods.
func New(w io.Writer, level string) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl})
	return slog.New(contextHandler{Handler: h}), nil
}

// ParseLevel maps "debug", "info", "warn" or "error" (any case) to a slog
// level. An empty string means "info" so that an unset LOG_LEVEL is not an
// error; anything else is rejected rather than silently defaulted, because a
// typo in production should not hide debug output or flood the logs.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	default:
		return 0, fmt.Errorf("logging: invalid level %q (want debug, info, warn or error)", s)
	}
}
