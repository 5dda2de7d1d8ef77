package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/testenv"
	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestRedisCluster runs the message path, presence, revocations and the
// job queue against a real 3-master Redis Cluster (redis-server in cluster
// mode, started here): 2 apis, 2 gateways and a worker, all configured
// with REDIS_CLUSTER_ADDRS only. It also checks that the event stream
// partitions lie on different masters and that the worker's push consumer
// group reads every one of them.
func TestRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts processes; skipped with -short")
	}
	cluster := testenv.StartRedisCluster(t, 3)
	rdb := cluster.Client(t)
	// One PUBLIC_BASE_URL for both apis: the worker checks the links in
	// the mails it sends lie under its own.
	env := apiEnv()
	env["PUBLIC_BASE_URL"] = "http://chat.e2e.test"
	s := harness.NewStack(t, harness.Options{APIs: 2, Env: env, RedisClusterAddrs: cluster.Addrs})
	gws := []*gatewayProc{startGateway(t, s, "gateway-0", nil), startGateway(t, s, "gateway-1", nil)}
	mp := startMailpit(t)
	worker := startWorker(t, s, "worker-cluster", map[string]string{"SMTP_ADDR": mp.SMTPAddr, "PUBLIC_BASE_URL": env["PUBLIC_BASE_URL"]})
	c := s.Client(t)

	// The 4 partitions (EVENT_STREAM_PARTITIONS' default) hash to
	// different slots, on more than one master.
	masters := map[string]bool{}
	for p := range 4 {
		node, err := rdb.MasterForKey(t.Context(), fmt.Sprintf("chat:events:{%d}", p))
		if err != nil {
			t.Fatal(err)
		}
		masters[node.Options().Addr] = true
	}
	if len(masters) < 2 {
		t.Errorf("the event stream partitions all lie on %v", masters)
	}

	t.Run("messages across gateways and partitions", func(t *testing.T) {
		alice, bob := newChat(t, s, c), newChat(t, s, c)
		wa := connect(t, gws[0].WS(), alice.a.AccessToken)
		wb := connect(t, gws[1].WS(), bob.a.AccessToken)
		const rooms, each = 6, 15
		var ids []string
		for range rooms {
			r := alice.createRoom("private", bob.a.ID).ID
			ids = append(ids, r)
			wa.join(t, r, -1)
			wb.join(t, r, -1)
		}
		for k := range each {
			for i, r := range ids {
				if k == each-1 && i%2 == 0 {
					alice.send(r, fmt.Sprintf("%d:%d", i, k)) // over REST, delivered like the others
					continue
				}
				wa.sendMessage(t, r, fmt.Sprintf("%d:%d", i, k), fmt.Sprintf("c-%d-%d", i, k))
			}
		}
		// Bob gets every message of every room once, in seq order per room.
		next := map[string]int64{}
		for range rooms * each {
			m := jsonOf[chatMessage](t, wb.expect(t, "receive-message").Data)
			if m.Seq != next[m.RoomID]+1 {
				t.Fatalf("room %s: seq %d after %d", m.RoomID, m.Seq, next[m.RoomID])
			}
			next[m.RoomID] = m.Seq
		}
		// A resend is answered with the first ack, not stored twice.
		if again := wa.sendMessage(t, ids[1], "again", "c-1-0"); again.Seq != 1 {
			t.Errorf("resend acked seq %d, want 1", again.Seq)
		}
		wb.quiet(t, 300*time.Millisecond, "receive-message")

		// The rooms' events went to partitions on more than one master.
		used := map[string]bool{}
		for _, r := range ids {
			if seqs := streamSeqs(t, rdb, r); len(seqs) != each {
				t.Fatalf("room %s: %d events on the streams, want %d", r, len(seqs), each)
			}
			for p := range 4 {
				key := fmt.Sprintf("chat:events:{%d}", p)
				entries, _ := rdb.XRevRangeN(t.Context(), key, "+", "-", 500).Result()
				for _, e := range entries {
					if e.Values["room"] == r {
						node, _ := rdb.MasterForKey(t.Context(), key)
						used[node.Options().Addr] = true
					}
				}
			}
		}
		if len(used) < 2 {
			t.Errorf("%d rooms' events all went to one master", rooms)
		}

		// The worker's push consumer group reads every partition (one
		// XREADGROUP per slot) and leaves nothing pending.
		eventually(t, 15*time.Second, "the push group to read every partition", func() bool {
			for p := range 4 {
				key := fmt.Sprintf("chat:events:{%d}", p)
				last, err := rdb.XRevRangeN(t.Context(), key, "+", "-", 1).Result()
				if err != nil || len(last) == 0 {
					continue
				}
				groups, err := rdb.XInfoGroups(t.Context(), key).Result()
				if err != nil || !pushGroupCaughtUp(groups, last[0].ID) {
					return false
				}
			}
			return true
		})
	})

	t.Run("presence across gateways", func(t *testing.T) {
		alice, u := newChat(t, s, c), newChat(t, s, c)
		shared := alice.createRoom("private", u.a.ID).ID
		wa := connect(t, gws[0].WS(), alice.a.AccessToken)
		wa.join(t, shared, -1)
		w := connect(t, gws[1].WS(), u.a.AccessToken)
		w.join(t, shared, -1)
		wa.waitPresence(t, u.a.ID, "online")
		w.waitPresence(t, alice.a.ID, "online")
		w.conn.Close()
		if p := wa.waitPresence(t, u.a.ID, "offline"); p["lastSeen"] == nil {
			t.Errorf("offline without lastSeen: %v", p)
		}
	})

	t.Run("revocation closes sockets on every gateway", func(t *testing.T) {
		u := newChat(t, s, c)
		w0 := connect(t, gws[0].WS(), u.a.AccessToken)
		w1 := connect(t, gws[1].WS(), u.a.AccessToken)
		u.want(http.StatusNoContent, nil, http.MethodPost, "/api/auth/logout", nil)
		for _, sock := range []*ws{w0, w1} {
			if code := sock.closeCode(t, 3*time.Second); code != 4001 {
				t.Errorf("close code = %d, want 4001", code)
			}
		}
		// A gateway's in-memory mirror learns the revocation from its own
		// subscription, which may be read a moment after the one that
		// closed the sockets: a socket admitted in that moment is closed
		// with 4001 at once (the re-check asks Redis), and the token is
		// refused with 401 from then on.
		for _, g := range gws {
			eventually(t, 3*time.Second, "401 for the revoked session on "+g.Name(), func() bool {
				sock, status, _ := wsDial(g.WS(), u.a.AccessToken)
				if sock == nil {
					if status != http.StatusUnauthorized {
						t.Fatalf("revoked session on %s: status %d, want 401", g.Name(), status)
					}
					return true
				}
				defer sock.conn.Close()
				if code := sock.closeCode(t, 3*time.Second); code != 4001 {
					t.Fatalf("revoked session admitted on %s and closed with %d, want 4001", g.Name(), code)
				}
				return false
			})
		}
		expectUnauthorized(t, c, u.a.AccessToken, "revoked session's access token")
	})

	t.Run("jobs", func(t *testing.T) {
		// Registration enqueues the verification mail (api, asynq client);
		// the worker (asynq server) sends it.
		a := s.Register(t, c)
		if d := mp.waitMail(t, a.Email, 20*time.Second); d.Subject != "Confirm your e-mail address" {
			t.Errorf("mail subject %q", d.Subject)
		}
		// The queue gauges come from asynq's inspector, on the cluster.
		res, err := http.Get(worker.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `asynq_queue_size{queue="`+mailQueue+`"}`) {
			t.Errorf("worker /metrics: %d, asynq queue gauges missing", res.StatusCode)
		}
	})

	t.Run("gateways announce themselves", func(t *testing.T) {
		// The Socket.IO peer registry: each gateway's key, on the cluster.
		for _, g := range gws {
			if n, err := rdb.Exists(t.Context(), "gateway:peer:"+g.addr).Result(); err != nil || n != 1 {
				t.Errorf("peer key of %s: %d, %v", g.Name(), n, err)
			}
		}
	})
}

// pushGroupCaughtUp reports whether the worker's consumer group "push" has
// been delivered every entry up to last and acknowledged them all.
func pushGroupCaughtUp(groups []redis.XInfoGroup, last string) bool {
	for _, g := range groups {
		if g.Name == "push" {
			return g.Pending == 0 && g.LastDeliveredID == last
		}
	}
	return false
}
