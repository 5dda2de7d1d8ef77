package httpload

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

func testSeed(t *testing.T) seed.File {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer := authn.NewSigner(key, "i", "a", time.Hour*24)
	f := seed.File{Layout: seed.Layout{Users: 30, RoomSize: 10, HistoryRooms: 2, MessagesPerRoom: 80},
		TokensFile: filepath.Join(t.TempDir(), "tokens.txt")}
	if _, err := seed.EnsureTokens(f.TokensFile, signer, "i", "a", 30, time.Now()); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRunCountsStatusesAndLatency(t *testing.T) {
	t.Parallel()
	var history, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			bad.Add(1)
		}
		switch {
		case r.URL.Path == "/api/chat/messages" && r.Method == http.MethodGet:
			// history users are the 20 members of the 2 history rooms
			if !strings.Contains(r.URL.RawQuery, "roomId="+seed.GroupRoomID(0)) && !strings.Contains(r.URL.RawQuery, "roomId="+seed.GroupRoomID(1)) {
				bad.Add(1)
			}
			history.Add(1)
			w.Write([]byte(`{"items":[]}`))
		case r.URL.Path == "/api/chat/messages":
			w.WriteHeader(http.StatusCreated)
		case r.URL.Path == "/api/user/profile" && history.Load()%7 == 0:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	s := testSeed(t)
	for _, ep := range []string{Profile, History, Post} {
		r, err := Run(t.Context(), Config{Base: srv.URL, Endpoint: ep, Concurrency: 4, Duration: 200 * time.Millisecond, RunID: "t"}, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Requests == 0 || r.Latency.Count != r.Requests || r.CPU.Groups["load"].Procs != 1 {
			t.Errorf("%s: %+v", ep, r)
		}
		if ep == Profile && (r.Failed == 0 || r.Statuses["429"] != r.Failed) {
			t.Errorf("profile: failures not counted by status: %+v", r.Statuses)
		}
		if ep != Profile && r.Failed != 0 {
			t.Errorf("%s: %d failed", ep, r.Failed)
		}
	}
	if bad.Load() != 0 {
		t.Errorf("%d requests without a token or in a room the user is not in", bad.Load())
	}
}
