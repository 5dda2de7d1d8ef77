package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestRevocationsSurviveRedisDataLoss: a session is logged out, then Redis
// loses its data; a gateway started afterwards must still refuse the
// session's unexpired access token once the api has re-seeded the
// revocations from PostgreSQL (REVOCATION_RESEED_INTERVAL, 1 s here).
// Without the reseed it admitted the token for the token's whole lifetime.
func TestRevocationsSurviveRedisDataLoss(t *testing.T) {
	env := apiEnv()
	env["REVOCATION_RESEED_INTERVAL"] = "1s"
	s := harness.NewStack(t, harness.Options{Env: env})
	c := s.Client(t)
	a := s.Register(t, c)
	expect(t, c.Do(http.MethodPost, "/api/auth/logout", nil, a.AccessToken), http.StatusNoContent, "logout")

	opts, err := redis.ParseURL(s.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, s, "gateway-after-wipe", nil)
	eventually(t, 10*time.Second, "the revoked session refused again", func() bool {
		w, status, err := wsDial(g.WS(), a.AccessToken)
		if err == nil {
			w.conn.Close()
			return false
		}
		return status == http.StatusUnauthorized
	})
	expectUnauthorized(t, c, a.AccessToken, "REST after the reseed")
}
