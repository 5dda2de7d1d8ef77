package e2e

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestChatRooms covers each room kind and its membership rules, across
// users, through the REST API. One api, parallel subtests.
func TestChatRooms(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *harness.Stack)
	}{
		{"GlobalRoom", testChatGlobalRoom},
		{"PublicRoom", testChatPublicRoom},
		{"PrivateRoom", testChatPrivateRoom},
		{"DirectRoom", testChatDirectRoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

func testChatGlobalRoom(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)
	rooms := b.rooms()
	if len(rooms) != 1 || rooms[0].ID != globalRoomID || rooms[0].Kind != "global" || rooms[0].Role != "member" || rooms[0].UnreadCount == nil {
		t.Fatalf("a new user's rooms = %+v, want only the global room", rooms)
	}
	// No roomId: the global room.
	var m chatMessage
	a.want(http.StatusCreated, &m, http.MethodPost, "/api/chat/messages", map[string]any{"content": "hello everyone"})
	if m.RoomID != globalRoomID || m.UserID != a.a.ID || m.Seq < 1 {
		t.Errorf("message = %+v", m)
	}
	p := b.history(globalRoomID, qs())
	if len(p.Items) == 0 || p.Items[0].ID != m.ID {
		t.Errorf("b's global history = %+v, want %s first", p.Items, m.ID)
	}
	if r := b.room(globalRoomID); r.Kind != "global" || len(r.Members) != 0 || r.MemberCount != nil || r.LastMessage == nil {
		t.Errorf("global room = %+v", r)
	}
	for _, path := range []string{"/join", "/leave"} {
		wantProblem(t, b.do(http.MethodPost, "/api/chat/rooms/"+globalRoomID+path, nil), http.StatusConflict, "global "+path)
	}
	wantProblem(t, b.do(http.MethodPost, "/api/chat/rooms/"+globalRoomID+"/members", map[string]any{"userId": a.a.ID}),
		http.StatusConflict, "add member to global")
}

func testChatPublicRoom(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	owner, other := newChat(t, s, c), newChat(t, s, c)
	r := owner.createRoom("public")
	if r.Kind != "public" || r.OwnerID != owner.a.ID || r.Role != "owner" || len(r.Members) != 1 || *r.MemberCount != 1 {
		t.Fatalf("created room = %+v", r)
	}
	owner.send(r.ID, "welcome")

	// Discoverable and readable, but joining comes before posting.
	var dir chatPage[chatRoom]
	other.want(http.StatusOK, &dir, http.MethodGet, "/api/chat/rooms/public?q=PUBLIC&limit=100", nil)
	found := false
	for _, d := range dir.Items {
		found = found || (d.ID == r.ID && d.Role == "" && d.UnreadCount == nil)
	}
	if !found {
		t.Errorf("room %s not in the directory as a non-member's: %+v", r.ID, dir.Items)
	}
	if p := other.history(r.ID, qs()); len(p.Items) != 1 {
		t.Errorf("non-member history = %+v", p)
	}
	wantProblem(t, other.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": r.ID, "content": "hi"}), http.StatusForbidden, "post before joining")
	wantProblem(t, other.do(http.MethodPost, "/api/chat/rooms/"+r.ID+"/read", map[string]any{"seq": 1}), http.StatusForbidden, "read before joining")
	wantProblem(t, other.do(http.MethodPost, "/api/chat/rooms/"+r.ID+"/members", map[string]any{"userId": other.a.ID}), http.StatusForbidden, "non-member adds")

	var joined chatRoom
	other.want(http.StatusOK, &joined, http.MethodPost, "/api/chat/rooms/"+r.ID+"/join", nil)
	if joined.Role != "member" || *joined.MemberCount != 2 || *joined.UnreadCount != 0 {
		t.Errorf("after join = %+v (a new member starts with nothing unread)", joined)
	}
	other.want(http.StatusOK, nil, http.MethodPost, "/api/chat/rooms/"+r.ID+"/join", nil)
	other.send(r.ID, "thanks")
	wantProblem(t, other.do(http.MethodDelete, "/api/chat/rooms/"+r.ID+"/members/"+owner.a.ID, nil), http.StatusForbidden, "member removes owner")
	wantProblem(t, owner.do(http.MethodPost, "/api/chat/rooms/"+r.ID+"/leave", nil), http.StatusConflict, "owner leaves")

	other.want(http.StatusNoContent, nil, http.MethodPost, "/api/chat/rooms/"+r.ID+"/leave", nil)
	other.want(http.StatusNoContent, nil, http.MethodPost, "/api/chat/rooms/"+r.ID+"/leave", nil)
	for _, x := range other.rooms() {
		if x.ID == r.ID {
			t.Errorf("left room still listed: %+v", x)
		}
	}
	// The owner manages members of a public room too.
	owner.want(http.StatusNoContent, nil, http.MethodPost, "/api/chat/rooms/"+r.ID+"/members", map[string]any{"userId": other.a.ID})
	if x := other.room(r.ID); x.Role != "member" {
		t.Errorf("added back: role %q", x.Role)
	}
}

func testChatPrivateRoom(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	owner, member, outsider := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	r := owner.createRoom("private", member.a.ID)
	if len(r.Members) != 2 || *r.MemberCount != 2 {
		t.Fatalf("created room = %+v", r)
	}
	m := member.send(r.ID, "psst secretword")
	base := "/api/chat/rooms/" + r.ID

	// An outsider cannot tell the room from a room that does not exist.
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, base, nil},
		{http.MethodGet, base + "/members", nil},
		{http.MethodGet, "/api/chat/messages?roomId=" + r.ID, nil},
		{http.MethodPost, "/api/chat/messages", map[string]any{"roomId": r.ID, "content": "let me in"}},
		{http.MethodPost, base + "/read", map[string]any{"seq": 1}},
		{http.MethodPost, base + "/join", nil},
		{http.MethodPost, base + "/leave", nil},
		{http.MethodPost, base + "/members", map[string]any{"userId": outsider.a.ID}},
		{http.MethodDelete, base + "/members/" + member.a.ID, nil},
		{http.MethodGet, "/api/chat/search?q=secretword&roomId=" + r.ID, nil},
		{http.MethodGet, "/api/chat/rooms/" + uuid.NewString(), nil},
	} {
		wantProblem(t, outsider.do(tc.method, tc.path, tc.body), http.StatusNotFound, "outsider "+tc.method+" "+tc.path)
	}

	// Only the owner manages members.
	wantProblem(t, member.do(http.MethodPost, base+"/members", map[string]any{"userId": outsider.a.ID}), http.StatusForbidden, "member adds")
	wantProblem(t, member.do(http.MethodDelete, base+"/members/"+owner.a.ID, nil), http.StatusForbidden, "member removes")
	wantProblem(t, member.do(http.MethodPost, base+"/join", nil), http.StatusConflict, "member joins a private room")
	wantProblem(t, owner.do(http.MethodPost, base+"/members", map[string]any{"userId": uuid.NewString()}), http.StatusNotFound, "add unknown user")
	wantProblem(t, owner.do(http.MethodDelete, base+"/members/"+owner.a.ID, nil), http.StatusConflict, "owner removes self")

	owner.want(http.StatusNoContent, nil, http.MethodPost, base+"/members", map[string]any{"userId": outsider.a.ID})
	owner.want(http.StatusNoContent, nil, http.MethodPost, base+"/members", map[string]any{"userId": outsider.a.ID})
	if p := outsider.history(r.ID, qs()); len(p.Items) != 1 || p.Items[0].ID != m.ID {
		t.Errorf("added member's history = %+v", p)
	}
	var members chatPage[chatMember]
	outsider.want(http.StatusOK, &members, http.MethodGet, base+"/members?limit=2", nil)
	if len(members.Items) != 2 || members.NextCursor == nil {
		t.Errorf("first member page = %+v", members)
	}
	owner.want(http.StatusNoContent, nil, http.MethodDelete, base+"/members/"+outsider.a.ID, nil)
	wantProblem(t, outsider.do(http.MethodGet, base, nil), http.StatusNotFound, "removed member reads")
	member.want(http.StatusNoContent, nil, http.MethodPost, base+"/leave", nil)
	wantProblem(t, member.do(http.MethodGet, base, nil), http.StatusNotFound, "member who left reads")
}

func testChatDirectRoom(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a, b, x := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	var r, again chatRoom
	a.want(http.StatusCreated, &r, http.MethodPost, "/api/chat/direct", map[string]any{"userId": b.a.ID})
	if r.Kind != "direct" || r.PeerID != b.a.ID || r.Name != "" || *r.MemberCount != 2 {
		t.Fatalf("direct room = %+v", r)
	}
	b.send(r.ID, "hi a")
	b.want(http.StatusOK, &again, http.MethodPost, "/api/chat/direct", map[string]any{"userId": a.a.ID})
	if again.ID != r.ID || again.PeerID != a.a.ID || again.LastMessage == nil || *again.UnreadCount != 0 {
		t.Errorf("opened again by b = %+v, want room %s", again, r.ID)
	}
	a.want(http.StatusOK, &again, http.MethodPost, "/api/chat/direct", map[string]any{"userId": b.a.ID})
	if again.ID != r.ID || *again.UnreadCount != 1 {
		t.Errorf("opened again by a = %+v", again)
	}
	wantProblem(t, x.do(http.MethodGet, "/api/chat/rooms/"+r.ID, nil), http.StatusNotFound, "third user reads")
	wantProblem(t, x.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": r.ID, "content": "x"}), http.StatusNotFound, "third user posts")
	wantProblem(t, a.do(http.MethodPost, "/api/chat/direct", map[string]any{"userId": a.a.ID}), http.StatusUnprocessableEntity, "direct with self", "userId")
	wantProblem(t, a.do(http.MethodPost, "/api/chat/direct", map[string]any{"userId": uuid.NewString()}), http.StatusNotFound, "direct with nobody")
	wantProblem(t, a.do(http.MethodPost, "/api/chat/rooms/"+r.ID+"/leave", nil), http.StatusConflict, "leave direct")
	wantProblem(t, a.do(http.MethodPost, "/api/chat/rooms/"+r.ID+"/members", map[string]any{"userId": x.a.ID}), http.StatusConflict, "add to direct")
}
