package config_test

import (
	"strings"
	"testing"

	"github.com/chatforge/chat/platform/config"
)

// REDIS_CLUSTER_ADDRS stands in for REDIS_URL; either is required.
func TestRedisBlock(t *testing.T) {
	t.Parallel()
	type cfg struct {
		config.Redis `envPrefix:""`
	}
	for name, tt := range map[string]struct {
		environ []string
		problem string // "" = valid
	}{
		"one server":                 {[]string{"REDIS_URL=redis://h:6379/0"}, ""},
		"cluster":                    {[]string{"REDIS_CLUSTER_ADDRS=a:6379,b:6379,c:6379"}, ""},
		"cluster with credentials":   {[]string{"REDIS_CLUSTER_ADDRS=a:6379", "REDIS_URL=rediss://u:p@ignored:1/0"}, ""},
		"neither":                    {nil, "REDIS_URL: required but not set (or set REDIS_CLUSTER_ADDRS)"},
		"cluster entry without port": {[]string{"REDIS_CLUSTER_ADDRS=a:6379,b"}, "REDIS_CLUSTER_ADDRS: every entry must be host:port"},
		"cluster with a unix URL":    {[]string{"REDIS_CLUSTER_ADDRS=a:6379", "REDIS_URL=unix:///tmp/r.sock"}, "REDIS_URL: scheme must be one of redis://, rediss://"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse[cfg](tt.environ)
			switch {
			case tt.problem == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
				t.Fatalf("error %v, want %q", err, tt.problem)
			case tt.problem == "" && c.Cluster() != strings.HasPrefix(name, "cluster"):
				t.Fatalf("Cluster() = %v", c.Cluster())
			}
		})
	}
}
