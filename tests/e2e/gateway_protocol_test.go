package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestGatewayProtocol drives two api and two gateway processes with real
// WebSocket clients. Subtests share the stack and run in order, each with
// its own users and rooms.
func TestGatewayProtocol(t *testing.T) {
	s, gws := newGatewayStack(t, 2, 2)
	c := s.Client(t)

	t.Run("auth refusals", func(t *testing.T) {
		u := newChat(t, s, c)
		for name, tok := range map[string]string{"missing": "", "garbage": "x.y.z", "tampered": u.a.AccessToken + "x"} {
			if _, status, err := wsDial(gws[0].WS(), tok); status != http.StatusUnauthorized {
				t.Errorf("%s token: status %d (%v), want 401", name, status, err)
			}
		}
		u.want(http.StatusNoContent, nil, http.MethodPost, "/api/auth/logout", nil)
		// The other gateway's revocation mirror learns of the logout from
		// its pub/sub announcement, a few ms later (longer on a busy
		// machine); a socket opened meanwhile is closed at once with 4001
		// by the connect's own check in Redis.
		eventually(t, 5*time.Second, "the revoked session refused at the upgrade", func() bool {
			c, status, _ := wsDial(gws[1].WS(), u.a.AccessToken)
			if c != nil {
				c.conn.Close()
			}
			return status == http.StatusUnauthorized
		})
	})

	t.Run("ready", func(t *testing.T) {
		u := newChat(t, s, c)
		conn, status, err := wsDial(gws[1].WS(), u.a.AccessToken)
		if err != nil {
			t.Fatalf("dial: %d %v", status, err)
		}
		defer conn.conn.Close()
		f := <-conn.frames
		r := jsonOf[map[string]string](t, f.Data)
		if f.Event != "ready" || r["userId"] != u.a.ID || r["sessionId"] != u.a.SessionID || len(r["connectionId"]) != 36 {
			t.Errorf("first frame = %v", f)
		}
	})

	alice, bob, carol := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	room := alice.createRoom("private", bob.a.ID).ID
	wa := connect(t, gws[0].WS(), alice.a.AccessToken)
	wb := connect(t, gws[1].WS(), bob.a.AccessToken)
	wc := connect(t, gws[1].WS(), carol.a.AccessToken) // not a member
	wa.join(t, room, -1)
	wb.join(t, room, -1)

	t.Run("join send ack receive across gateways", func(t *testing.T) {
		ack := wa.sendMessage(t, room, "hello bob", "a-1")
		if ack.Seq != 1 || ack.RoomID != room || len(ack.ID) != 36 || !strings.HasSuffix(ack.Timestamp, "Z") {
			t.Errorf("ack = %+v", ack)
		}
		got := wb.collect(t, room, 1)[0]
		if got.ID != ack.ID || got.Content != "hello bob" || got.UserID != alice.a.ID || got.ClientMsgID != "a-1" || got.Timestamp != ack.Timestamp {
			t.Errorf("bob got %+v, ack %+v", got, ack)
		}
		if own := wa.collect(t, room, 1)[0]; own.ID != ack.ID {
			t.Errorf("the sender's own receive-message = %+v", own)
		}
	})

	t.Run("idempotent resend", func(t *testing.T) {
		again := wa.sendMessage(t, room, "hello bob (resent)", "a-1")
		if again.Seq != 1 {
			t.Errorf("resend acked seq %d, want the first message's 1", again.Seq)
		}
		wb.quiet(t, 300*time.Millisecond, "receive-message")
		if p := alice.history(room, qs()); len(p.Items) != 1 {
			t.Errorf("history has %d messages after a resend, want 1", len(p.Items))
		}
	})

	t.Run("private room never leaks", func(t *testing.T) {
		wc.send("join-room", "j", map[string]any{"roomId": room, "lastSeq": 0})
		if e := jsonOf[wsError](t, wc.expect(t, "error").Data); e.Code != "not_found" {
			t.Errorf("non-member join: %+v", e)
		}
		wc.send("send-message", "s", map[string]any{"roomId": room, "content": "let me in"})
		if e := jsonOf[wsError](t, wc.expect(t, "error").Data); e.Code != "forbidden" {
			t.Errorf("non-member send: %+v", e)
		}
		wc.send("mark-read", "m", map[string]any{"roomId": room, "seq": 1})
		if e := jsonOf[wsError](t, wc.expect(t, "error").Data); e.Code != "not_found" {
			t.Errorf("non-member mark-read: %+v", e)
		}
		wa.sendMessage(t, room, "for members only", "a-2")
		wa.send("typing-start", "", map[string]any{"roomId": room})
		wb.collect(t, room, 1)
		wc.quiet(t, 500*time.Millisecond, "receive-message", "typing-start", "message-read")
	})

	t.Run("typing not echoed and expiring", func(t *testing.T) {
		wb.expect(t, "typing-stop") // the start of the previous subtest expires
		wb.send("typing-start", "t", map[string]any{"roomId": room})
		wb.expect(t, "ack")
		f := wa.expect(t, "typing-start")
		if d := jsonOf[map[string]string](t, f.Data); d["userId"] != bob.a.ID || d["roomId"] != room {
			t.Errorf("typing-start = %v", d)
		}
		start := time.Now()
		wa.expect(t, "typing-stop")
		if el := time.Since(start); el < 500*time.Millisecond || el > 4*time.Second {
			t.Errorf("typing expired after %s, want about TYPING_TTL (1s)", el)
		}
		wb.quiet(t, 200*time.Millisecond, "typing-start", "typing-stop")
	})

	t.Run("mark-read", func(t *testing.T) {
		wb.send("mark-read", "r", map[string]any{"roomId": room, "seq": 2})
		if a := jsonOf[map[string]any](t, wb.expect(t, "ack").Data); a["seq"] != 2.0 || a["roomId"] != room {
			t.Errorf("mark-read ack = %v", a)
		}
		r := jsonOf[map[string]any](t, wa.expect(t, "message-read").Data)
		if r["userId"] != bob.a.ID || r["seq"] != 2.0 {
			t.Errorf("message-read = %v", r)
		}
	})

	t.Run("500 messages from several senders in order", func(t *testing.T) {
		const senders, each = 5, 100
		owner := newChat(t, s, c)
		var members []chat
		var ids []string
		for range senders + 1 {
			m := newChat(t, s, c)
			members = append(members, m)
			ids = append(ids, m.a.ID)
		}
		big := owner.createRoom("private", ids...).ID
		w0 := connect(t, gws[0].WS(), members[senders].a.AccessToken)
		w1 := connect(t, gws[1].WS(), owner.a.AccessToken)
		w0.join(t, big, -1)
		w1.join(t, big, -1)
		var wg sync.WaitGroup
		for i := range senders {
			sock := connect(t, gws[i%2].WS(), members[i].a.AccessToken)
			sock.join(t, big, -1)
			wg.Go(func() {
				for k := range each {
					sock.sendMessage(t, big, fmt.Sprintf("%d:%d", i, k), fmt.Sprintf("s%d-%d", i, k))
				}
			})
		}
		for _, w := range []*ws{w0, w1} {
			got := w.collect(t, big, senders*each)
			inOrder(t, "watcher", got, 1)
			next := map[string]int{}
			for _, m := range got {
				var who, k int
				fmt.Sscanf(m.Content, "%d:%d", &who, &k)
				if want := next[m.UserID]; k != want {
					t.Fatalf("sender %d's message %d arrived as its %dth", who, k, want)
				}
				next[m.UserID]++
			}
		}
		wg.Wait()
	})

	t.Run("bad frames", func(t *testing.T) {
		u := newChat(t, s, c)
		w := connect(t, gws[0].WS(), u.a.AccessToken)
		cases := []struct {
			name, frame, code string
		}{
			{"not JSON", `hello`, "bad_request"},
			{"not an object", `[1]`, "bad_request"},
			{"no event", `{"ref":"1","data":{}}`, "bad_request"},
			{"unknown event", `{"event":"dance","ref":"2"}`, "unknown_event"},
			{"data not object", `{"event":"join-room","ref":"3","data":"x"}`, "bad_request"},
			{"missing roomId", `{"event":"join-room","ref":"4","data":{}}`, "bad_request"},
			{"roomId not a UUID", `{"event":"leave-room","ref":"5","data":{"roomId":"abc"}}`, "bad_request"},
			{"negative lastSeq", `{"event":"join-room","ref":"6","data":{"roomId":"` + room + `","lastSeq":-1}}`, "bad_request"},
			{"missing content", `{"event":"send-message","ref":"7","data":{"roomId":"` + room + `"}}`, "bad_request"},
			{"wrong type", `{"event":"mark-read","ref":"8","data":{"roomId":"` + room + `","seq":"one"}}`, "bad_request"},
			{"too large", `{"event":"send-message","ref":"9","data":{"content":"` + strings.Repeat("x", 5000) + `"}}`, "too_large"},
			{"room not joined", `{"event":"send-message","ref":"10","data":{"roomId":"` + room + `","content":"x"}}`, "forbidden"},
			{"unknown room", `{"event":"join-room","ref":"11","data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d"}}`, "not_found"},
		}
		// A fresh socket every WS_BAD_FRAME_LIMIT (3) strikes: the limit is
		// tested on its own below.
		strikes := 0
		for _, tc := range cases {
			w.raw(websocket.TextMessage, []byte(tc.frame))
			f := w.expect(t, "error")
			if e := jsonOf[wsError](t, f.Data); e.Code != tc.code || e.Message == "" {
				t.Errorf("%s: got %+v, want code %s", tc.name, e, tc.code)
			}
			if tc.code != "forbidden" && tc.code != "not_found" {
				strikes++
			}
			if strikes == 3 {
				w = connect(t, gws[0].WS(), u.a.AccessToken)
				strikes = 0
			}
		}
		w.raw(websocket.BinaryMessage, []byte{1, 2, 3})
		if e := jsonOf[wsError](t, w.expect(t, "error").Data); e.Code != "bad_request" {
			t.Errorf("binary frame: %+v", e)
		}
		for range 3 {
			w.raw(websocket.TextMessage, []byte(`{`))
		}
		if code := w.closeCode(t, 5*time.Second); code != 4008 {
			t.Errorf("close code after too many bad frames = %d, want 4008", code)
		}
	})

	t.Run("frame beyond tolerance closes 4008", func(t *testing.T) {
		u := newChat(t, s, c)
		w := connect(t, gws[1].WS(), u.a.AccessToken)
		// WS_MAX_FRAME_BYTES is 4096: beyond 4x is refused from the frame
		// header, as a policy violation.
		w.raw(websocket.TextMessage, []byte(`{"event":"send-message","data":{"content":"`+strings.Repeat("x", 4*4096)+`"}}`))
		if code := w.closeCode(t, 5*time.Second); code != 4008 {
			t.Errorf("close code after a frame beyond 4x the limit = %d, want 4008", code)
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		slow := startGateway(t, s, "gateway-limited", map[string]string{"WS_RATE_PER_SEC": "1", "WS_RATE_BURST": "2", "WS_BAD_FRAME_LIMIT": "2"})
		u := newChat(t, s, c)
		w := connect(t, slow.WS(), u.a.AccessToken)
		for range 3 {
			w.send("typing-start", "x", nil)
		}
		w.expect(t, "ack")
		w.expect(t, "ack")
		if e := jsonOf[wsError](t, w.expect(t, "error").Data); e.Code != "rate_limited" || e.RetryAfterMs <= 0 {
			t.Errorf("third frame: %+v, want rate_limited with retryAfterMs", e)
		}
		// A flood far over the rate is abuse (over twice the rate for the
		// abuse window): closed.
		for range 50 {
			w.send("typing-stop", "", nil)
		}
		if code := w.closeCode(t, 5*time.Second); code != 4008 {
			t.Errorf("close code after rate-limit abuse = %d, want 4008", code)
		}
	})

	t.Run("presence", func(t *testing.T) {
		// Presence goes to the members of a shared room other than the
		// global one: u is online for alice once u's socket joined their
		// room (and alice learns it across gateways).
		u := newChat(t, s, c)
		shared := alice.createRoom("private", u.a.ID).ID
		wa.join(t, shared, -1)
		w := connect(t, gws[1].WS(), u.a.AccessToken)
		w.join(t, shared, -1)
		wa.waitPresence(t, u.a.ID, "online")
		// The joining socket learns who is online in the room.
		w.waitPresence(t, alice.a.ID, "online")
		w.conn.Close()
		if p := wa.waitPresence(t, u.a.ID, "offline"); p["lastSeen"] == nil {
			t.Errorf("offline without lastSeen: %v", p)
		}
	})

	t.Run("ops endpoints", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			res, err := http.Get(gws[0].URL() + path)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %v %v", path, res, err)
			}
			if res != nil {
				res.Body.Close()
			}
		}
		res, err := http.Get(gws[1].URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, m := range []string{"gateway_connections ", "gateway_frames_in_total{", "gateway_frames_out_total ",
			"gateway_fanout_seconds_bucket{", "gateway_stream_lag_seconds ", "gateway_slow_clients_dropped_total "} {
			if !strings.Contains(string(body), m) {
				t.Errorf("/metrics lacks %s", m)
			}
		}
	})

	t.Run("revocation closes with 4001", func(t *testing.T) {
		u := newChat(t, s, c)
		w := connect(t, gws[0].WS(), u.a.AccessToken)
		w2 := connect(t, gws[1].WS(), u.a.AccessToken)
		start := time.Now()
		u.want(http.StatusNoContent, nil, http.MethodPost, "/api/auth/logout", nil)
		for _, sock := range []*ws{w, w2} {
			if code := sock.closeCode(t, 3*time.Second); code != 4001 {
				t.Errorf("close code = %d, want 4001", code)
			}
		}
		if el := time.Since(start); el > time.Second+200*time.Millisecond {
			t.Errorf("sockets closed %s after logout, want within a second", el)
		}
	})
}
