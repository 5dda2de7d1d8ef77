package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// A gateway refuses to start half-configured and says what is wrong.
func TestRunRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env  []string
		want []string
	}{
		"nothing set": {nil, []string{"REDIS_URL", "JWT_PUBLIC_KEY_FILE or JWKS_URL"}},
		"both key sources": {
			[]string{"REDIS_URL=redis://127.0.0.1:6379/0", "JWKS_URL=http://x/jwks", "JWT_PUBLIC_KEY_FILE=/k.pem"},
			[]string{"set only one"},
		},
		"bad limits": {
			[]string{"REDIS_URL=redis://127.0.0.1:6379/0", "JWKS_URL=http://x/jwks", "WS_SEND_BUFFER=2", "PING_INTERVAL=1ms", "REPLAY_MAX=0", "LOG_LEVEL=loud"},
			[]string{"WS_SEND_BUFFER", "PING_INTERVAL", "REPLAY_MAX", "LOG_LEVEL"},
		},
		"bad Socket.IO settings": {
			[]string{"REDIS_URL=redis://127.0.0.1:6379/0", "JWKS_URL=http://x/jwks", "SOCKETIO_PING_TIMEOUT=1ms", "SOCKETIO_CORS_ORIGINS=app.example", "GATEWAY_ADVERTISE_ADDR=nohost"},
			[]string{"SOCKETIO_PING_TIMEOUT", "SOCKETIO_CORS_ORIGINS", "GATEWAY_ADVERTISE_ADDR"},
		},
		"bad frame queue": {
			[]string{"REDIS_URL=redis://127.0.0.1:6379/0", "JWKS_URL=http://x/jwks", "WS_QUEUE_MAX=0", "WS_QUEUE_MAX_WAIT=11s", "WS_QUEUE_SLOW_COMMAND=0s"},
			[]string{"WS_QUEUE_MAX:", "WS_QUEUE_MAX_WAIT:", "WS_QUEUE_SLOW_COMMAND:"},
		},
		"plain JWKS in production": {
			[]string{"REDIS_URL=redis://127.0.0.1:6379/0", "JWKS_URL=http://api/jwks", "APP_ENV=production"},
			[]string{"JWKS_URL: must be https"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), nil, tt.env, io.Discard)
			if err == nil {
				t.Fatal("run accepted the configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if err := run(context.Background(), []string{"serve", "now"}, nil, io.Discard); err == nil {
		t.Error("unexpected arguments accepted")
	}
}

func TestAdvertiseAddrAndOrigins(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{":8081": "127.0.0.1:8081", "0.0.0.0:9000": "127.0.0.1:9000", "10.0.0.5:8081": "10.0.0.5:8081"} {
		if got := (Config{Addr: addr}).advertiseAddr(); got != want {
			t.Errorf("GATEWAY_ADDR %s: advertised %s, want %s", addr, got, want)
		}
	}
	if got := (Config{Addr: ":8081", AdvertiseAddr: "gw-3.internal:8081"}).advertiseAddr(); got != "gw-3.internal:8081" {
		t.Errorf("GATEWAY_ADVERTISE_ADDR ignored: %s", got)
	}
	if (Config{SIOCORSOrigins: []string{"*"}}).allowOrigin() != nil {
		t.Error("* should allow every origin")
	}
	allow := (Config{SIOCORSOrigins: []string{"https://a.example"}}).allowOrigin()
	if !allow("https://a.example") || allow("https://b.example") {
		t.Error("origin list not applied")
	}
}
