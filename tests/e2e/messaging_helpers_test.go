package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// globalRoomID is the room every user is in (messaging contract).
const globalRoomID = "00000000-0000-0000-0000-000000000001"

// chatMessage is the ChatMessage schema.
type chatMessage struct {
	ID          string  `json:"id"`
	RoomID      string  `json:"roomId"`
	Seq         int64   `json:"seq"`
	UserID      string  `json:"userId"`
	Content     string  `json:"content"`
	ClientMsgID string  `json:"clientMsgId"`
	Timestamp   string  `json:"timestamp"`
	Rev         int64   `json:"rev"`
	EditedAt    string  `json:"editedAt"`
	DeletedAt   string  `json:"deletedAt"`
	Rank        float64 `json:"rank"` // search hits only
}

// chatMember is the ChatMember schema.
type chatMember struct {
	UserID   string `json:"userId"`
	Role     string `json:"role"`
	JoinedAt string `json:"joinedAt"`
}

// chatRoom is the ChatRoom / ChatRoomDetail schema.
type chatRoom struct {
	ID          string       `json:"id"`
	Kind        string       `json:"kind"`
	Name        string       `json:"name"`
	OwnerID     string       `json:"ownerId"`
	PeerID      string       `json:"peerId"`
	MemberCount *int         `json:"memberCount"`
	LastSeq     int64        `json:"lastSeq"`
	Role        string       `json:"role"`
	UnreadCount *int64       `json:"unreadCount"`
	LastMessage *chatMessage `json:"lastMessage"`
	Members     []chatMember `json:"members"`
}

// chatPage is every paged answer of /api/chat.
type chatPage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

// chat wraps a client and a caller for terse calls.
type chat struct {
	t *testing.T
	c *harness.Client
	a harness.Account
}

func newChat(t *testing.T, s *harness.Stack, c *harness.Client) chat {
	return chat{t: t, c: c, a: s.Register(t, c)}
}

func (u chat) do(method, path string, body any) *harness.Response {
	return u.c.Do(method, path, body, u.a.AccessToken)
}

// want runs a request and fails unless it answers status; it decodes a
// 2xx body into dst when given.
func (u chat) want(status int, dst any, method, path string, body any) *harness.Response {
	u.t.Helper()
	res := u.do(method, path, body)
	if res.Status != status {
		u.t.Fatalf("%s %s as %s: got %s, want %d", method, path, u.a.ID, res, status)
	}
	if dst != nil {
		res.JSON(u.t, dst)
	}
	return res
}

func (u chat) send(room, content string) chatMessage {
	u.t.Helper()
	var m chatMessage
	u.want(http.StatusCreated, &m, http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": content})
	return m
}

func (u chat) createRoom(kind string, members ...string) chatRoom {
	u.t.Helper()
	var r chatRoom
	body := map[string]any{"name": kind + " room", "kind": kind}
	if len(members) > 0 {
		body["memberIds"] = members
	}
	u.want(http.StatusCreated, &r, http.MethodPost, "/api/chat/rooms", body)
	return r
}

func (u chat) room(id string) chatRoom {
	u.t.Helper()
	var r chatRoom
	u.want(http.StatusOK, &r, http.MethodGet, "/api/chat/rooms/"+id, nil)
	return r
}

// rooms lists every room of the caller, following cursors.
func (u chat) rooms() []chatRoom {
	u.t.Helper()
	var all []chatRoom
	q := url.Values{"limit": {"2"}}
	for range 50 {
		var p chatPage[chatRoom]
		u.want(http.StatusOK, &p, http.MethodGet, "/api/chat/rooms?"+q.Encode(), nil)
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		q.Set("cursor", *p.NextCursor)
	}
	u.t.Fatal("room list does not end")
	return nil
}

func (u chat) history(room string, q url.Values) chatPage[chatMessage] {
	u.t.Helper()
	q.Set("roomId", room)
	var p chatPage[chatMessage]
	u.want(http.StatusOK, &p, http.MethodGet, "/api/chat/messages?"+q.Encode(), nil)
	return p
}

// wantProblem checks a problem answer and the fields it names.
func wantProblem(t *testing.T, res *harness.Response, status int, what string, fields ...string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s: got %s, want %d", what, res, status)
		return
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	p := res.Problem(t)
	if got := fmt.Sprint(fieldsOf(p)); len(fields) > 0 && got != fmt.Sprint(fields) {
		t.Errorf("%s: problem fields %s, want %v (%+v)", what, got, fields, p)
	}
}

// qs builds query values from key, value pairs.
func qs(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
