package e2e

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/calls"
	"github.com/chatforge/chat/tests/e2e/harness"
)

// callsRingTimeout is CALL_RING_TIMEOUT in these tests: short, so a missed
// call is seen quickly.
const callsRingTimeout = 2 * time.Second

// callsStack is two apis (the calls module; each sweeps for ring
// timeouts) and two gateways, so every case crosses gateways: the caller
// on one, the callee's devices on both. TURN_* point at a real coturn with the same secret.
type callsStack struct {
	s    *harness.Stack
	gws  []*gatewayProc
	turn *turnServer
}

const callsTURNSecret = "e2e-turn-secret-0123456789"

func newCallsStack(t *testing.T) *callsStack {
	t.Helper()
	ts := startTURN(t, callsTURNSecret)
	env := apiEnv()
	env["CALL_RING_TIMEOUT"] = callsRingTimeout.String()
	env["CALL_SWEEP_INTERVAL"] = "100ms"
	env["STUN_URLS"] = "stun:" + ts.addr
	env["TURN_URLS"] = "turn:" + ts.addr + "?transport=udp,turn:" + ts.addr + "?transport=tcp"
	env["TURN_SECRET"] = callsTURNSecret
	env["TURN_CREDENTIAL_TTL"] = "10m"
	// Two apis: both sweep for ring timeouts, and commands land on either.
	s := harness.NewStack(t, harness.Options{APIs: 2, Env: env})
	// Refusals sends many bad frames on one socket: strikes must not close it.
	gw := map[string]string{"WS_BAD_FRAME_LIMIT": "100"}
	return &callsStack{s: s, turn: ts, gws: []*gatewayProc{startGateway(t, s, "gateway-0", gw), startGateway(t, s, "gateway-1", gw)}}
}

// device is one session of a user with its socket. Its frames are kept in
// an inbox: an answer may come before or after the frames the same
// command sends to other sockets (they travel on different paths), so
// waiting for one must not drop the other.
type device struct {
	acc    harness.Account
	ws     *ws
	mu     sync.Mutex
	frames []wsFrame
	notify chan struct{}
	once   sync.Once
}

// callUser is a registered user; devices are its sessions (logins).
type callUser struct {
	chat
}

func (cs *callsStack) user(t *testing.T) callUser {
	return callUser{newChat(t, cs.s, cs.s.Client(t))}
}

// device logs the user in again (a new session: a device) and connects it
// to gateway gw.
func (cs *callsStack) device(t *testing.T, u callUser, gw int) *device {
	t.Helper()
	acc := cs.s.Login(t, u.c, u.a.Email, u.a.Password)
	return &device{acc: acc, ws: connect(t, cs.gws[gw].WS(), acc.AccessToken), notify: make(chan struct{}, 1)}
}

// read starts the inbox (once): every frame from now on is kept.
func (d *device) read() {
	d.once.Do(func() {
		go func() {
			for f := range d.ws.frames {
				d.mu.Lock()
				d.frames = append(d.frames, f)
				d.mu.Unlock()
				select {
				case d.notify <- struct{}{}:
				default:
				}
			}
		}()
	})
}

// take removes and returns the first kept frame match accepts, waiting up
// to 15s for one.
func (d *device) take(t *testing.T, what string, match func(wsFrame) bool) wsFrame {
	t.Helper()
	d.read()
	deadline := time.After(15 * time.Second)
	for {
		d.mu.Lock()
		for i, f := range d.frames {
			if match(f) {
				d.frames = append(d.frames[:i], d.frames[i+1:]...)
				d.mu.Unlock()
				return f
			}
		}
		d.mu.Unlock()
		select {
		case <-d.notify:
		case <-deadline:
			t.Fatalf("no %s within 15s", what)
		}
	}
}

// quiet fails if a frame of event for callID arrives within dur.
func (d *device) quiet(t *testing.T, dur time.Duration, event, callID string) {
	t.Helper()
	d.read()
	time.Sleep(dur)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.frames {
		if f.Event == event && strings.Contains(string(f.Data), callID) {
			t.Fatalf("unexpected %s", f)
		}
	}
}

// request sends a call event with a ref and returns the answer (ack or
// error) for that ref.
func (d *device) request(t *testing.T, event string, data any) wsFrame {
	t.Helper()
	ref := uuid.NewString()
	d.read()
	d.ws.send(event, ref, data)
	return d.take(t, "answer to "+event, func(f wsFrame) bool {
		return (f.Event == "ack" || f.Event == "error") && string(f.Ref) == `"`+ref+`"`
	})
}

// ok sends a call event and fails the test unless it is acked.
func (d *device) ok(t *testing.T, event string, data any) map[string]any {
	t.Helper()
	f := d.request(t, event, data)
	if f.Event != "ack" {
		t.Fatalf("%s: %s, want ack", event, f)
	}
	return jsonOf[map[string]any](t, f.Data)
}

// refused sends a call event and wants an error with code.
func (d *device) refused(t *testing.T, code, event string, data any) {
	t.Helper()
	f := d.request(t, event, data)
	if f.Event != "error" {
		t.Fatalf("%s: %s, want error %s", event, f, code)
	}
	if e := jsonOf[map[string]any](t, f.Data); e["code"] != code {
		t.Fatalf("%s: error %v, want code %s", event, e, code)
	}
}

// event waits for event of callID and returns its data.
func (d *device) event(t *testing.T, event, callID string) map[string]any {
	t.Helper()
	f := d.take(t, event+" of "+callID, func(f wsFrame) bool {
		return f.Event == event && strings.Contains(string(f.Data), `"callId":"`+callID+`"`)
	})
	return jsonOf[map[string]any](t, f.Data)
}

// ended waits for call-ended of callID and returns its reason.
func (d *device) ended(t *testing.T, callID string) string {
	t.Helper()
	return d.event(t, "call-ended", callID)["reason"].(string)
}

// incoming waits for call-incoming of callID and returns its data.
func (d *device) incoming(t *testing.T, callID string) map[string]any {
	t.Helper()
	return d.event(t, "call-incoming", callID)
}

// callMessage is a message of kind call as history returns it.
type callMessage struct {
	ID      string `json:"id"`
	UserID  string `json:"userId"`
	Content string `json:"content"`
	Kind    string `json:"kind"`
	Call    *struct {
		CallID     string `json:"callId"`
		Media      string `json:"media"`
		Status     string `json:"status"`
		StartedAt  string `json:"startedAt"`
		AnsweredAt string `json:"answeredAt"`
		EndedAt    string `json:"endedAt"`
		DurationMs int64  `json:"durationMs"`
	} `json:"call"`
}

// callEntry waits (the entry is posted as the call ends, through the
// outbox) for the history entry of callID in room, read by u.
func callEntry(t *testing.T, u callUser, room, callID string) callMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page chatPage[callMessage]
		u.want(http.StatusOK, &page, http.MethodGet, "/api/chat/messages?"+url.Values{"roomId": {room}}.Encode(), nil)
		for _, m := range page.Items {
			if m.Call != nil && m.Call.CallID == callID {
				if m.Kind != "call" || m.Content != "" {
					t.Fatalf("call entry %+v: want kind call and no content", m)
				}
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no history entry for call %s in %+v", callID, page.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func offer(room, callID string) map[string]any {
	return map[string]any{"callId": callID, "roomId": room, "media": "audio", "sdp": "v=0 fake offer " + callID}
}

// TestCallsSignaling runs the signaling cases against one api and two
// gateways: two real WebRTC peers connected only through the gateways'
// signaling, answered-elsewhere, ring timeout, busy, refusals, and TURN
// credentials checked by a real coturn.
func TestCallsSignaling(t *testing.T) {
	cs := newCallsStack(t)
	t.Run("WebRTC", func(t *testing.T) { t.Parallel(); testCallsWebRTC(t, cs, false) })
	t.Run("WebRTCThroughTURN", func(t *testing.T) { t.Parallel(); testCallsWebRTC(t, cs, true) })
	t.Run("AnsweredElsewhere", func(t *testing.T) { t.Parallel(); testCallsAnsweredElsewhere(t, cs) })
	t.Run("Missed", func(t *testing.T) { t.Parallel(); testCallsMissed(t, cs) })
	t.Run("Busy", func(t *testing.T) { t.Parallel(); testCallsBusy(t, cs) })
	t.Run("Refusals", func(t *testing.T) { t.Parallel(); testCallsRefusals(t, cs) })
	t.Run("TURN", func(t *testing.T) { t.Parallel(); testCallsTURN(t, cs) })
}

// testCallsAnsweredElsewhere: the callee has two devices on two gateways;
// both ring, one answers, the other stops with answered-elsewhere and may
// no longer answer; the caller gets the answer; hanging up ends the other
// side and leaves a completed entry with the call's duration.
func testCallsAnsweredElsewhere(t *testing.T, cs *callsStack) {
	a, b := cs.user(t), cs.user(t)
	room := a.createRoom("private", b.a.ID).ID
	caller, b1, b2 := cs.device(t, a, 0), cs.device(t, b, 0), cs.device(t, b, 1)
	other := cs.device(t, a, 1) // the caller's own other device does not ring
	id := uuid.NewString()
	if ack := caller.ok(t, "call-invite", offer(room, id)); ack["status"] != "ringing" || ack["callId"] != id {
		t.Fatalf("invite ack %v", ack)
	}
	for _, d := range []*device{b1, b2} {
		in := d.incoming(t, id)
		if in["callerId"] != a.a.ID || in["roomId"] != room || in["media"] != "audio" || in["sdp"] != "v=0 fake offer "+id {
			t.Fatalf("call-incoming %v", in)
		}
	}
	other.quiet(t, 300*time.Millisecond, "call-incoming", id)
	caller.ok(t, "call-ice", map[string]any{"callId": id, "candidate": map[string]any{"candidate": "early", "sdpMid": "0"}})
	b1.ok(t, "call-answer", map[string]any{"callId": id, "sdp": "v=0 fake answer"})
	if ans := caller.event(t, "call-answered", id); ans["callId"] != id || ans["sdp"] != "v=0 fake answer" || ans["userId"] != b.a.ID {
		t.Fatalf("call-answered %v", ans)
	}
	if r := b2.ended(t, id); r != "answered-elsewhere" {
		t.Fatalf("b2 reason %q, want answered-elsewhere", r)
	}
	// The caller's candidate sent while it rang reaches the device that
	// answered, unchanged; then candidates flow both ways.
	if got := b1.event(t, "call-ice", id)["candidate"]; !reflect.DeepEqual(got, map[string]any{"candidate": "early", "sdpMid": "0"}) {
		t.Fatalf("buffered candidate %v", got)
	}
	b1.ok(t, "call-ice", map[string]any{"callId": id, "candidate": "b1-candidate"})
	if got := caller.event(t, "call-ice", id)["candidate"]; got != "b1-candidate" {
		t.Fatalf("candidate to caller %v", got)
	}
	b2.refused(t, "call_over", "call-answer", map[string]any{"callId": id, "sdp": "late"})
	b2.refused(t, "forbidden", "call-ice", map[string]any{"callId": id, "candidate": "x"})
	b1.quiet(t, 200*time.Millisecond, "call-ended", id)

	time.Sleep(300 * time.Millisecond) // a measurable duration
	caller.ok(t, "call-hangup", map[string]any{"callId": id})
	if r := b1.ended(t, id); r != "hangup" {
		t.Fatalf("b1 reason %q, want hangup", r)
	}
	caller.ok(t, "call-hangup", map[string]any{"callId": id}) // again: nothing to do, still acked
	m := callEntry(t, b, room, id)
	if m.UserID != a.a.ID || m.Call.Status != "completed" || m.Call.AnsweredAt == "" {
		t.Fatalf("entry %+v %+v", m, *m.Call)
	}
	answered, _ := time.Parse(time.RFC3339, m.Call.AnsweredAt)
	endedAt, _ := time.Parse(time.RFC3339, m.Call.EndedAt)
	if m.Call.DurationMs < 300 || m.Call.DurationMs != endedAt.Sub(answered).Milliseconds() {
		t.Fatalf("durationMs %d, answered %s ended %s", m.Call.DurationMs, m.Call.AnsweredAt, m.Call.EndedAt)
	}
}

// testCallsMissed: nobody answers; at the ring timeout (kept by the apis'
// sweeps, not by a gateway) every device rung and the caller get missed,
// once.
func testCallsMissed(t *testing.T, cs *callsStack) {
	a, b := cs.user(t), cs.user(t)
	var room struct {
		ID string `json:"id"`
	}
	a.want(http.StatusCreated, &room, http.MethodPost, "/api/chat/direct", map[string]any{"userId": b.a.ID})
	caller, b1, b2 := cs.device(t, a, 1), cs.device(t, b, 0), cs.device(t, b, 1)
	id := uuid.NewString()
	start := time.Now()
	caller.ok(t, "call-invite", offer(room.ID, id))
	b1.incoming(t, id)
	b2.incoming(t, id)
	for _, d := range []*device{caller, b1, b2} {
		if r := d.ended(t, id); r != "missed" {
			t.Fatalf("reason %q, want missed", r)
		}
	}
	if waited := time.Since(start); waited < callsRingTimeout {
		t.Fatalf("missed after %s, before the ring timeout %s", waited, callsRingTimeout)
	}
	// Both apis sweep; the call ended once, so it was announced once.
	caller.quiet(t, 500*time.Millisecond, "call-ended", id)
	b1.quiet(t, 0, "call-ended", id)
	b1.refused(t, "call_over", "call-answer", map[string]any{"callId": id, "sdp": "too late"})
	m := callEntry(t, a, room.ID, id)
	if m.Call.Status != "missed" || m.Call.DurationMs != 0 || m.Call.AnsweredAt != "" {
		t.Fatalf("entry %+v", *m.Call)
	}
}

// testCallsBusy: a callee in another call is not rung; the caller gets a
// busy answer and the room a busy entry. Declining frees nobody else.
func testCallsBusy(t *testing.T, cs *callsStack) {
	a, b, c := cs.user(t), cs.user(t), cs.user(t)
	ab := a.createRoom("private", b.a.ID).ID
	cb := c.createRoom("private", b.a.ID).ID
	da, db, dc := cs.device(t, a, 0), cs.device(t, b, 1), cs.device(t, c, 0)
	first := uuid.NewString()
	da.ok(t, "call-invite", offer(ab, first))
	db.incoming(t, first)
	db.ok(t, "call-answer", map[string]any{"callId": first, "sdp": "v=0 answer"})
	da.event(t, "call-answered", first)

	second := uuid.NewString()
	if ack := dc.ok(t, "call-invite", offer(cb, second)); ack["status"] != "busy" {
		t.Fatalf("invite of a busy callee: %v, want status busy", ack)
	}
	if r := dc.ended(t, second); r != "busy" {
		t.Fatalf("reason %q, want busy", r)
	}
	db.quiet(t, 300*time.Millisecond, "call-incoming", second)
	if m := callEntry(t, c, cb, second); m.Call.Status != "busy" || m.UserID != c.a.ID {
		t.Fatalf("busy entry %+v", *m.Call)
	}

	// Once the first call is over, b is free: this time b declines.
	db.ok(t, "call-hangup", map[string]any{"callId": first})
	if r := da.ended(t, first); r != "hangup" {
		t.Fatalf("reason %q, want hangup", r)
	}
	third := uuid.NewString()
	if ack := dc.ok(t, "call-invite", offer(cb, third)); ack["status"] != "ringing" {
		t.Fatalf("invite after the call: %v", ack)
	}
	db.incoming(t, third)
	db.ok(t, "call-hangup", map[string]any{"callId": third})
	if r := dc.ended(t, third); r != "declined" {
		t.Fatalf("reason %q, want declined", r)
	}
	if m := callEntry(t, c, cb, third); m.Call.Status != "declined" {
		t.Fatalf("declined entry %+v", *m.Call)
	}
}

// testCallsRefusals: only members take part; bad data is refused.
func testCallsRefusals(t *testing.T, cs *callsStack) {
	a, b, stranger := cs.user(t), cs.user(t), cs.user(t)
	room := a.createRoom("private", b.a.ID).ID
	da, ds := cs.device(t, a, 0), cs.device(t, stranger, 1)
	ds.refused(t, "not_found", "call-invite", offer(room, uuid.NewString()))
	id := uuid.NewString()
	da.ok(t, "call-invite", offer(room, id))
	ds.refused(t, "not_found", "call-answer", map[string]any{"callId": id, "sdp": "x"})
	ds.refused(t, "not_found", "call-ice", map[string]any{"callId": id, "candidate": "x"})
	ds.refused(t, "not_found", "call-hangup", map[string]any{"callId": id})
	ds.quiet(t, 200*time.Millisecond, "call-incoming", id)
	// The same invite again (a retry) rings nobody twice; another room
	// cannot take the id.
	if ack := da.ok(t, "call-invite", offer(room, id)); ack["status"] != "ringing" {
		t.Fatalf("repeated invite %v", ack)
	}
	other := a.createRoom("private", b.a.ID).ID
	da.refused(t, "bad_request", "call-invite", offer(other, id))
	bad := offer(room, uuid.NewString())
	bad["media"] = "fax"
	da.refused(t, "bad_request", "call-invite", bad)
	da.refused(t, "bad_request", "call-invite", map[string]any{"callId": "nope", "roomId": room, "media": "audio", "sdp": "x"})
	da.refused(t, "bad_request", "call-invite", map[string]any{"callId": uuid.NewString(), "roomId": room, "media": "audio"})
	da.refused(t, "bad_request", "call-ice", map[string]any{"callId": id})
	da.refused(t, "bad_request", "call-hangup", map[string]any{"callId": id, "extra": 1})
	alone := a.createRoom("private").ID
	da.refused(t, "bad_request", "call-invite", offer(alone, uuid.NewString()))
	da.ok(t, "call-hangup", map[string]any{"callId": id})
}

// testCallsTURN: the api's credentials open an allocation on a real
// coturn sharing TURN_SECRET; a tampered or expired one does not.
func testCallsTURN(t *testing.T, cs *callsStack) {
	u := cs.user(t)
	var got struct {
		ICEServers []struct {
			URLs       []string `json:"urls"`
			Username   string   `json:"username"`
			Credential string   `json:"credential"`
		} `json:"iceServers"`
		TTL int64 `json:"ttl"`
	}
	res := u.want(http.StatusOK, &got, http.MethodGet, "/api/calls/ice-servers", nil)
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if len(got.ICEServers) != 2 || got.TTL != 600 || got.ICEServers[0].URLs[0] != "stun:"+cs.turn.addr || got.ICEServers[0].Username != "" {
		t.Fatalf("ice servers %+v", got)
	}
	turnSrv := got.ICEServers[1]
	if len(turnSrv.URLs) != 2 || !strings.HasPrefix(turnSrv.URLs[0], "turn:") {
		t.Fatalf("turn entry %+v", turnSrv)
	}
	exp, user, ok := strings.Cut(turnSrv.Username, ":")
	expiry, _ := strconv.ParseInt(exp, 10, 64)
	if !ok || user != u.a.ID || time.Until(time.Unix(expiry, 0)) > 11*time.Minute || time.Until(time.Unix(expiry, 0)) < 9*time.Minute {
		t.Fatalf("username %q: want <expiry in ~10m>:%s", turnSrv.Username, u.a.ID)
	}
	if err := cs.turn.allocate(turnSrv.Username, turnSrv.Credential); err != nil {
		t.Fatalf("coturn refused the api's credential: %v", err)
	}
	if err := cs.turn.allocate(turnSrv.Username, "AAAA"+turnSrv.Credential[4:]); err == nil {
		t.Fatal("coturn accepted a tampered credential: the check proves nothing")
	}
	oldUser, oldPass := calls.TURNCredential(callsTURNSecret, u.a.ID, time.Now().Add(-time.Minute))
	if err := cs.turn.allocate(oldUser, oldPass); err == nil {
		t.Fatal("coturn accepted an expired credential")
	}
	if r := u.c.Do(http.MethodGet, "/api/calls/ice-servers", nil, ""); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %s", r)
	}
}
