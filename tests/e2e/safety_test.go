package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// Safety (ARCHITECTURE.md section 9) against the real api and gateways:
// blocks, room roles, mutes, bans, reports and the moderation log.

// wantCode fails unless res is a problem with status and code extension.
func wantCode(t *testing.T, res *harness.Response, status int, code, what string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s: got %s, want %d %s", what, res, status, code)
		return
	}
	var p struct {
		Code string `json:"code"`
	}
	res.JSON(t, &p)
	if p.Code != code {
		t.Errorf("%s: problem code %q, want %q (%s)", what, p.Code, code, res)
	}
}

// wantSocketCode sends event with a ref and fails unless it is refused
// with code.
func wantSocketCode(t *testing.T, sock *ws, event, ref string, data any, code string) {
	t.Helper()
	sock.send(event, ref, data)
	f := sock.ExpectRef(t, ref, "ack", "error")
	if f.Event != "error" || jsonOf[wsError](t, f.Data).Code != code {
		t.Errorf("%s: %s %s, want error %s", event, f.Event, f.Data, code)
	}
}

type modEntry struct {
	ID        string  `json:"id"`
	ActorID   *string `json:"actorId"`
	Action    string  `json:"action"`
	UserID    string  `json:"userId"`
	MessageID string  `json:"messageId"`
	ReportID  string  `json:"reportId"`
	Reason    string  `json:"reason"`
	Until     string  `json:"until"`
}

type report struct {
	ID         string       `json:"id"`
	MessageID  string       `json:"messageId"`
	ReporterID *string      `json:"reporterId"`
	Reason     string       `json:"reason"`
	Status     string       `json:"status"`
	Action     string       `json:"action"`
	Message    *chatMessage `json:"message"`
}

// TestSafetyBlocks: a blocked user cannot open or post in the direct room
// with the blocker, over REST and the socket; the blocker's socket gets
// none of their typing; the block is private and lifted by unblocking.
func TestSafetyBlocks(t *testing.T) {
	s, gws := newGatewayStack(t, 1, 1)
	c := s.Client(t)
	blocker, blocked, other := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	var dm chatRoom
	blocker.want(http.StatusCreated, &dm, http.MethodPost, "/api/chat/direct", map[string]any{"userId": blocked.a.ID})

	bs := connect(t, gws[0].WS(), blocker.a.AccessToken)
	bs.join(t, dm.ID, -1)
	xs := connect(t, gws[0].WS(), blocked.a.AccessToken)
	xs.join(t, dm.ID, -1)

	// Before the block, typing reaches the other side: the check below
	// can fail.
	xs.send("typing-start", "", map[string]any{"roomId": dm.ID})
	if f := bs.expect(t, "typing-start"); jsonOf[map[string]any](t, f.Data)["userId"] != blocked.a.ID {
		t.Fatalf("typing-start before the block = %s", f.Data)
	}
	xs.send("typing-stop", "", map[string]any{"roomId": dm.ID})
	bs.expect(t, "typing-stop")

	blocker.want(http.StatusNoContent, nil, http.MethodPut, "/api/user/blocks/"+blocked.a.ID, nil)
	blocker.want(http.StatusNoContent, nil, http.MethodPut, "/api/user/blocks/"+blocked.a.ID, nil) // idempotent
	var list chatPage[struct {
		UserID    string `json:"userId"`
		CreatedAt string `json:"createdAt"`
	}]
	blocker.want(http.StatusOK, &list, http.MethodGet, "/api/user/blocks", nil)
	if len(list.Items) != 1 || list.Items[0].UserID != blocked.a.ID || list.Items[0].CreatedAt == "" {
		t.Errorf("blocks = %+v", list.Items)
	}
	// Private: the blocked user sees no block of theirs.
	blocked.want(http.StatusOK, &list, http.MethodGet, "/api/user/blocks", nil)
	if len(list.Items) != 0 {
		t.Errorf("the blocked user's own list = %+v", list.Items)
	}

	wantCode(t, blocked.do(http.MethodPost, "/api/chat/direct", map[string]any{"userId": blocker.a.ID}), http.StatusForbidden, "blocked", "open the direct room")
	wantCode(t, blocked.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": dm.ID, "content": "hey"}), http.StatusForbidden, "blocked", "post in the direct room")
	wantCode(t, blocker.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": dm.ID, "content": "hey"}), http.StatusForbidden, "blocked", "the blocker posting")
	wantSocketCode(t, xs, "send-message", "s1", map[string]any{"roomId": dm.ID, "content": "hey", "clientMsgId": "b-1"}, "blocked")

	xs.send("typing-start", "", map[string]any{"roomId": dm.ID})
	bs.quiet(t, 700*time.Millisecond, "typing-start", "receive-message")
	xs.send("typing-stop", "", map[string]any{"roomId": dm.ID})

	// Others are not affected.
	other.want(http.StatusCreated, nil, http.MethodPost, "/api/chat/direct", map[string]any{"userId": blocked.a.ID})
	wantProblem(t, blocked.do(http.MethodPut, "/api/user/blocks/"+blocked.a.ID, nil), http.StatusUnprocessableEntity, "block oneself", "userId")
	wantProblem(t, blocked.do(http.MethodPut, "/api/user/blocks/00000000-0000-0000-0000-0000000000ff", nil), http.StatusNotFound, "block an unknown user")

	// Nor their presence: their only socket closes (offline) unseen.
	xs.conn.Close()
	bs.quiet(t, time.Second, "presence")

	blocker.want(http.StatusNoContent, nil, http.MethodDelete, "/api/user/blocks/"+blocked.a.ID, nil)
	blocked.send(dm.ID, "friends again")
	blocked.want(http.StatusOK, nil, http.MethodPost, "/api/chat/direct", map[string]any{"userId": blocker.a.ID})
	xs = connect(t, gws[0].WS(), blocked.a.AccessToken)
	xs.join(t, dm.ID, -1)
	bs.waitPresence(t, blocked.a.ID, "online")
	xs.send("typing-start", "", map[string]any{"roomId": dm.ID})
	bs.expect(t, "typing-start")
}

// TestSafetyRoles: roles change by the owner only and show in the member
// list; a moderator deletes another member's message (a member cannot),
// and the moderation log, for moderators only, records both.
func TestSafetyRoles(t *testing.T) {
	s, _ := newGatewayStack(t, 1, 0)
	c := s.Client(t)
	owner, mod, member := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	room := owner.createRoom("private", mod.a.ID, member.a.ID).ID
	rolePath := func(u chat) string { return "/api/chat/rooms/" + room + "/members/" + u.a.ID }

	wantProblem(t, mod.do(http.MethodPut, rolePath(member), map[string]any{"role": "moderator"}), http.StatusForbidden, "a member changing roles")
	owner.want(http.StatusOK, nil, http.MethodPut, rolePath(mod), map[string]any{"role": "moderator"})
	owner.want(http.StatusOK, nil, http.MethodPut, rolePath(mod), map[string]any{"role": "moderator"}) // idempotent
	wantProblem(t, mod.do(http.MethodPut, rolePath(member), map[string]any{"role": "moderator"}), http.StatusForbidden, "a moderator changing roles")
	wantProblem(t, owner.do(http.MethodPut, rolePath(member), map[string]any{"role": "owner"}), http.StatusUnprocessableEntity, "ownership", "role")
	wantProblem(t, owner.do(http.MethodPut, rolePath(owner), map[string]any{"role": "member"}), http.StatusConflict, "the owner's own role")
	roles := map[string]string{}
	for _, m := range owner.room(room).Members {
		roles[m.UserID] = m.Role
	}
	if roles[owner.a.ID] != "owner" || roles[mod.a.ID] != "moderator" || roles[member.a.ID] != "member" {
		t.Errorf("member roles = %v", roles)
	}

	// Moderator delete (issue 14): of a member's message; a member cannot
	// delete the moderator's.
	msg := member.send(room, "spam")
	modMsg := mod.send(room, "please stop")
	wantProblem(t, member.do(http.MethodDelete, "/api/chat/messages/"+modMsg.ID, nil), http.StatusForbidden, "a member deleting another's message")
	mod.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+msg.ID, nil)
	mod.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+msg.ID, nil)
	if p := member.history(room, qs("after", "0")); len(p.Items) != 2 || p.Items[0].DeletedAt == "" || p.Items[0].Content != "" {
		t.Errorf("history after the moderator's delete = %+v", p.Items)
	}

	// Demoted, the moderator loses the power.
	owner.want(http.StatusOK, nil, http.MethodPut, rolePath(mod), map[string]any{"role": "member"})
	other := member.send(room, "again")
	wantProblem(t, mod.do(http.MethodDelete, "/api/chat/messages/"+other.ID, nil), http.StatusForbidden, "a demoted moderator deleting")

	wantProblem(t, member.do(http.MethodGet, "/api/chat/rooms/"+room+"/moderation-log", nil), http.StatusForbidden, "a member reading the log")
	var log chatPage[modEntry]
	owner.want(http.StatusOK, &log, http.MethodGet, "/api/chat/rooms/"+room+"/moderation-log", nil)
	var got []string
	for _, e := range log.Items {
		got = append(got, e.Action)
	}
	// Newest first: the demotion, the delete, the promotion (the repeated
	// promotion and delete changed nothing and are not logged).
	if len(log.Items) != 3 || got[0] != "role" || got[1] != "delete" || got[2] != "role" {
		t.Fatalf("moderation log actions = %v", got)
	}
	if d := log.Items[1]; d.ActorID == nil || *d.ActorID != mod.a.ID || d.MessageID != msg.ID || d.UserID != member.a.ID {
		t.Errorf("delete entry = %+v", d)
	}
}

// TestSafetyMute: a muted member is refused (403 muted, REST and socket)
// until the mute ends, then posts again; a moderator cannot mute the owner.
func TestSafetyMute(t *testing.T) {
	s, gws := newGatewayStack(t, 1, 1)
	c := s.Client(t)
	owner, mod, member := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	room := owner.createRoom("public", mod.a.ID, member.a.ID).ID
	owner.want(http.StatusOK, nil, http.MethodPut, "/api/chat/rooms/"+room+"/members/"+mod.a.ID, map[string]any{"role": "moderator"})
	sock := connect(t, gws[0].WS(), member.a.AccessToken)
	sock.join(t, room, -1)

	mutes := "/api/chat/rooms/" + room + "/mutes"
	wantProblem(t, member.do(http.MethodPost, mutes, map[string]any{"userId": mod.a.ID, "until": time.Now().Add(time.Hour)}), http.StatusForbidden, "a member muting")
	wantProblem(t, mod.do(http.MethodPost, mutes, map[string]any{"userId": owner.a.ID, "until": time.Now().Add(time.Hour)}), http.StatusForbidden, "a moderator muting the owner")
	wantProblem(t, mod.do(http.MethodPost, mutes, map[string]any{"userId": member.a.ID, "until": time.Now().Add(-time.Minute)}), http.StatusUnprocessableEntity, "a mute in the past", "until")

	until := time.Now().Add(2 * time.Second)
	mod.want(http.StatusOK, nil, http.MethodPost, mutes, map[string]any{"userId": member.a.ID, "until": until, "reason": "cool down"})
	wantCode(t, member.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": "x"}), http.StatusForbidden, "muted", "muted REST send")
	wantSocketCode(t, sock, "send-message", "m1", map[string]any{"roomId": room, "content": "x", "clientMsgId": "mute-1"}, "muted")
	owner.send(room, "others still post")

	time.Sleep(time.Until(until) + 100*time.Millisecond)
	member.send(room, "back")
	sock.sendMessage(t, room, "back on the socket", "mute-2")

	var log chatPage[modEntry]
	mod.want(http.StatusOK, &log, http.MethodGet, "/api/chat/rooms/"+room+"/moderation-log", nil)
	if len(log.Items) < 1 || log.Items[0].Action != "mute" || log.Items[0].Reason != "cool down" || log.Items[0].Until == "" || log.Items[0].UserID != member.a.ID {
		t.Errorf("log after a mute = %+v", log.Items)
	}
}

// TestSafetyBan: a banned member's socket, on another gateway than the
// moderator's, stops receiving the room at once; rejoining (REST and
// socket) and being added are refused until unbanned.
func TestSafetyBan(t *testing.T) {
	s, gws := newGatewayStack(t, 1, 2)
	c := s.Client(t)
	owner, mod, banned, witness := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	room := owner.createRoom("public", mod.a.ID, banned.a.ID, witness.a.ID).ID
	owner.want(http.StatusOK, nil, http.MethodPut, "/api/chat/rooms/"+room+"/members/"+mod.a.ID, map[string]any{"role": "moderator"})

	bsock := connect(t, gws[1].WS(), banned.a.AccessToken)
	bsock.join(t, room, -1)
	wsock := connect(t, gws[1].WS(), witness.a.AccessToken)
	wsock.join(t, room, -1)
	msock := connect(t, gws[0].WS(), mod.a.AccessToken)
	msock.join(t, room, -1)
	owner.send(room, "before")
	bsock.expect(t, "receive-message")
	wsock.expect(t, "receive-message")

	bans := "/api/chat/rooms/" + room + "/bans"
	wantProblem(t, witness.do(http.MethodPost, bans, map[string]any{"userId": banned.a.ID}), http.StatusForbidden, "a member banning")
	mod.want(http.StatusOK, nil, http.MethodPost, bans, map[string]any{"userId": banned.a.ID, "reason": "abuse"})
	after := owner.send(room, "after the ban")
	if f := wsock.expect(t, "receive-message"); jsonOf[chatMessage](t, f.Data).ID != after.ID {
		t.Fatalf("witness got %s", f.Data)
	}
	bsock.quiet(t, 700*time.Millisecond, "receive-message", "message-updated", "typing-start")

	for _, m := range owner.room(room).Members {
		if m.UserID == banned.a.ID {
			t.Errorf("banned user still a member: %+v", m)
		}
	}
	var list chatPage[struct {
		UserID string `json:"userId"`
		ByID   string `json:"byId"`
		Reason string `json:"reason"`
		Until  string `json:"until"`
	}]
	mod.want(http.StatusOK, &list, http.MethodGet, bans, nil)
	if len(list.Items) != 1 || list.Items[0].UserID != banned.a.ID || list.Items[0].ByID != mod.a.ID || list.Items[0].Reason != "abuse" || list.Items[0].Until != "" {
		t.Errorf("bans = %+v", list.Items)
	}
	wantProblem(t, witness.do(http.MethodGet, bans, nil), http.StatusForbidden, "a member listing bans")
	wantCode(t, banned.do(http.MethodPost, "/api/chat/rooms/"+room+"/join", nil), http.StatusForbidden, "banned", "rejoin over REST")
	wantCode(t, banned.do(http.MethodGet, "/api/chat/messages?roomId="+room, nil), http.StatusForbidden, "banned", "read history")
	wantSocketCode(t, bsock, "join-room", "j1", map[string]any{"roomId": room}, "banned")
	wantCode(t, owner.do(http.MethodPost, "/api/chat/rooms/"+room+"/members", map[string]any{"userId": banned.a.ID}), http.StatusForbidden, "banned", "add the banned user")

	mod.want(http.StatusNoContent, nil, http.MethodDelete, bans+"/"+banned.a.ID, nil)
	banned.want(http.StatusOK, nil, http.MethodPost, "/api/chat/rooms/"+room+"/join", nil)
	bsock.join(t, room, -1)
	again := owner.send(room, "welcome back")
	if f := bsock.expect(t, "receive-message"); jsonOf[chatMessage](t, f.Data).ID != again.ID {
		t.Errorf("after unban got %s", f.Data)
	}

	// A ban with an end lapses by itself.
	mod.want(http.StatusOK, nil, http.MethodPost, bans, map[string]any{"userId": banned.a.ID, "until": time.Now().Add(1500 * time.Millisecond)})
	wantCode(t, banned.do(http.MethodPost, "/api/chat/rooms/"+room+"/join", nil), http.StatusForbidden, "banned", "rejoin during a timed ban")
	time.Sleep(1600 * time.Millisecond)
	banned.want(http.StatusOK, nil, http.MethodPost, "/api/chat/rooms/"+room+"/join", nil)
}

// TestSafetyReports: members report messages; moderators (only) list the
// open reports and resolve each with dismiss, delete, mute and ban, with
// the effect of each.
func TestSafetyReports(t *testing.T) {
	s, _ := newGatewayStack(t, 1, 0)
	c := s.Client(t)
	owner, mod, reporter, author := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	outsider := newChat(t, s, c)
	room := owner.createRoom("public", mod.a.ID, reporter.a.ID, author.a.ID).ID
	owner.want(http.StatusOK, nil, http.MethodPut, "/api/chat/rooms/"+room+"/members/"+mod.a.ID, map[string]any{"role": "moderator"})

	var msgs []chatMessage
	var reps []report
	for _, text := range []string{"dismiss me", "delete me", "mute me", "ban me"} {
		m := author.send(room, text)
		var r report
		reporter.want(http.StatusAccepted, &r, http.MethodPost, "/api/chat/messages/"+m.ID+"/report", map[string]any{"reason": "rude: " + text})
		if r.Status != "open" || r.MessageID != m.ID || r.ReporterID == nil || *r.ReporterID != reporter.a.ID {
			t.Fatalf("report = %+v", r)
		}
		msgs, reps = append(msgs, m), append(reps, r)
	}
	var again report
	reporter.want(http.StatusAccepted, &again, http.MethodPost, "/api/chat/messages/"+msgs[0].ID+"/report", map[string]any{"reason": "still rude"})
	if again.ID != reps[0].ID {
		t.Errorf("a repeated report opened %s, want the open %s", again.ID, reps[0].ID)
	}
	wantProblem(t, reporter.do(http.MethodPost, "/api/chat/messages/"+msgs[0].ID+"/report", map[string]any{"reason": ""}), http.StatusUnprocessableEntity, "empty reason", "reason")
	wantProblem(t, outsider.do(http.MethodPost, "/api/chat/messages/"+msgs[0].ID+"/report", map[string]any{"reason": "x"}), http.StatusNotFound, "a non-member reporting")

	queue := "/api/chat/rooms/" + room + "/reports"
	wantProblem(t, reporter.do(http.MethodGet, queue, nil), http.StatusForbidden, "a member reading the queue")
	var open chatPage[report]
	mod.want(http.StatusOK, &open, http.MethodGet, queue, nil)
	if len(open.Items) != 4 {
		t.Fatalf("open reports = %+v", open.Items)
	}
	for i, r := range open.Items {
		if r.ID != reps[i].ID || r.Message == nil || r.Message.Content != msgs[i].Content {
			t.Errorf("queue item %d = %+v", i, r)
		}
	}
	resolve := func(who chat, i int, action string, status int) report {
		t.Helper()
		var r report
		res := who.do(http.MethodPost, "/api/chat/reports/"+reps[i].ID+"/resolve", map[string]any{"action": action})
		if res.Status != status {
			t.Fatalf("resolve %s as %s: %s, want %d", action, who.a.ID, res, status)
		}
		if status == http.StatusOK {
			res.JSON(t, &r)
			if r.Status != "resolved" || r.Action != action {
				t.Errorf("resolved with %s = %+v", action, r)
			}
		}
		return r
	}
	resolve(reporter, 0, "dismiss", http.StatusForbidden)
	resolve(outsider, 0, "dismiss", http.StatusNotFound)
	wantProblem(t, mod.do(http.MethodPost, "/api/chat/reports/"+reps[0].ID+"/resolve", map[string]any{"action": "shrug"}), http.StatusUnprocessableEntity, "unknown action", "action")

	resolve(mod, 0, "dismiss", http.StatusOK)
	resolve(mod, 0, "dismiss", http.StatusConflict)
	if p := author.history(room, qs("after", "0")); p.Items[0].Content != "dismiss me" {
		t.Errorf("a dismissed report changed the message: %+v", p.Items[0])
	}

	resolve(mod, 1, "delete", http.StatusOK)
	if p := author.history(room, qs("after", "0")); p.Items[1].DeletedAt == "" {
		t.Errorf("report resolved with delete: message %+v", p.Items[1])
	}

	resolve(mod, 2, "mute", http.StatusOK)
	wantCode(t, author.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": "x"}), http.StatusForbidden, "muted", "author after a mute resolution")

	resolve(owner, 3, "ban", http.StatusOK)
	wantCode(t, author.do(http.MethodPost, "/api/chat/rooms/"+room+"/join", nil), http.StatusForbidden, "banned", "author after a ban resolution")

	mod.want(http.StatusOK, &open, http.MethodGet, queue, nil)
	if len(open.Items) != 0 {
		t.Errorf("open reports after resolving = %+v", open.Items)
	}
	var done chatPage[report]
	mod.want(http.StatusOK, &done, http.MethodGet, queue+"?status=resolved", nil)
	if len(done.Items) != 4 {
		t.Errorf("resolved reports = %+v", done.Items)
	}
	var log chatPage[modEntry]
	owner.want(http.StatusOK, &log, http.MethodGet, "/api/chat/rooms/"+room+"/moderation-log", nil)
	var got []string
	for _, e := range log.Items {
		got = append(got, e.Action)
	}
	want := []string{"ban", "mute", "delete", "dismiss", "role"}
	if len(got) != len(want) {
		t.Fatalf("log = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("log = %v, want %v", got, want)
		}
	}
}
