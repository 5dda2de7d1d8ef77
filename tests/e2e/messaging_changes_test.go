package e2e

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestChatMessageChanges: edits and deletions over REST (ARCHITECTURE.md
// section 8) against the real api and gateway: author-only edit (403 for
// others, 404 for non-members), 409 on a deleted message, delete by the
// author and by the room owner (204, again 204), seq kept with no gap, rev
// strictly increasing, and message-updated on a member's socket with the
// whole message.
func TestChatMessageChanges(t *testing.T) {
	s, gws := newGatewayStack(t, 1, 1)
	c := s.Client(t)
	owner, author, other, outsider := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	room := owner.createRoom("private", author.a.ID, other.a.ID).ID

	sock := connect(t, gws[0].WS(), other.a.AccessToken)
	sock.join(t, room, -1)

	m := author.send(room, "helo")
	next := author.send(room, "second")
	if m.Rev == 0 || next.Rev <= m.Rev {
		t.Fatalf("revs of sends: %d then %d", m.Rev, next.Rev)
	}
	path := "/api/chat/messages/" + m.ID

	var edited chatMessage
	author.want(http.StatusOK, &edited, http.MethodPatch, path, map[string]any{"content": "hello"})
	if edited.Content != "hello" || edited.EditedAt == "" || edited.Seq != m.Seq || edited.Rev <= next.Rev {
		t.Fatalf("edited = %+v", edited)
	}
	var same chatMessage
	author.want(http.StatusOK, &same, http.MethodPatch, path, map[string]any{"content": "hello"})
	if same.Rev != edited.Rev {
		t.Errorf("editing to the same content moved rev %d -> %d", edited.Rev, same.Rev)
	}
	got := jsonOf[chatMessage](t, sock.expect(t, "message-updated").Data)
	if got.ID != m.ID || got.Content != "hello" || got.Rev != edited.Rev || got.EditedAt == "" {
		t.Errorf("message-updated after edit = %+v", got)
	}

	wantProblem(t, other.do(http.MethodPatch, path, map[string]any{"content": "x"}), http.StatusForbidden, "edit by another member")
	wantProblem(t, owner.do(http.MethodPatch, path, map[string]any{"content": "x"}), http.StatusForbidden, "edit by the owner")
	wantProblem(t, outsider.do(http.MethodPatch, path, map[string]any{"content": "x"}), http.StatusNotFound, "edit by a non-member")
	wantProblem(t, outsider.do(http.MethodDelete, path, nil), http.StatusNotFound, "delete by a non-member")
	wantProblem(t, other.do(http.MethodDelete, path, nil), http.StatusForbidden, "delete by another member")
	wantProblem(t, author.do(http.MethodPatch, path, map[string]any{"content": " "}), http.StatusUnprocessableEntity, "blank edit", "content")
	wantProblem(t, author.do(http.MethodPatch, "/api/chat/messages/nope", map[string]any{"content": "x"}), http.StatusBadRequest, "bad id", "id")

	// The owner deletes the author's message, twice; the author deletes its own.
	owner.want(http.StatusNoContent, nil, http.MethodDelete, path, nil)
	owner.want(http.StatusNoContent, nil, http.MethodDelete, path, nil)
	author.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+next.ID, nil)
	wantProblem(t, author.do(http.MethodPatch, path, map[string]any{"content": "back"}), http.StatusConflict, "edit of a deleted message")
	var revs []int64
	for range 2 {
		u := jsonOf[chatMessage](t, sock.expect(t, "message-updated").Data)
		if u.Content != "" || u.DeletedAt == "" {
			t.Errorf("message-updated after delete = %+v", u)
		}
		revs = append(revs, u.Rev)
	}
	sock.quiet(t, 300*time.Millisecond, "message-updated")

	p := author.history(room, url.Values{"after": {"0"}})
	if len(p.Items) != 2 || p.Items[0].Seq != 1 || p.Items[1].Seq != 2 {
		t.Fatalf("history after deletes = %+v", p.Items)
	}
	for i, it := range p.Items {
		if it.Content != "" || it.DeletedAt == "" || it.Rev != revs[i] {
			t.Errorf("history item %d = %+v, want deleted at rev %d", i, it, revs[i])
		}
	}
	if revs[1] <= revs[0] || revs[0] <= edited.Rev {
		t.Errorf("revs not increasing: edit %d, deletes %v", edited.Rev, revs)
	}

	// Over the socket: edit-message and delete-message ack the message as
	// it now is; the others get message-updated; a non-author is refused.
	asock := connect(t, gws[0].WS(), author.a.AccessToken)
	third := author.send(room, "thrid")
	sock.expect(t, "receive-message")
	asock.send("edit-message", "e1", map[string]any{"id": third.ID, "content": "third"})
	ack := jsonOf[chatMessage](t, asock.ExpectRef(t, "e1", "ack", "error").Data)
	if ack.ID != third.ID || ack.Content != "third" || ack.EditedAt == "" || ack.Rev <= revs[1] {
		t.Fatalf("edit-message ack = %+v", ack)
	}
	if u := jsonOf[chatMessage](t, sock.expect(t, "message-updated").Data); u.Rev != ack.Rev || u.Content != "third" {
		t.Errorf("message-updated after socket edit = %+v", u)
	}
	sock.send("edit-message", "e2", map[string]any{"id": third.ID, "content": "mine now"})
	if f := sock.ExpectRef(t, "e2", "ack", "error"); f.Event != "error" || jsonOf[wsError](t, f.Data).Code != "forbidden" {
		t.Errorf("edit-message by another member: %s %s", f.Event, f.Data)
	}
	sock.send("edit-message", "e3", map[string]any{"id": third.ID, "content": "x", "roomId": room})
	if f := sock.ExpectRef(t, "e3", "ack", "error"); f.Event != "error" || jsonOf[wsError](t, f.Data).Code != "bad_request" {
		t.Errorf("edit-message with an unknown field: %s %s", f.Event, f.Data)
	}
	asock.send("delete-message", "d1", map[string]any{"id": third.ID})
	del := jsonOf[chatMessage](t, asock.ExpectRef(t, "d1", "ack", "error").Data)
	if del.Content != "" || del.DeletedAt == "" || del.Rev <= ack.Rev || del.Seq != third.Seq {
		t.Fatalf("delete-message ack = %+v", del)
	}
	if u := jsonOf[chatMessage](t, sock.expect(t, "message-updated").Data); u.Rev != del.Rev || u.DeletedAt == "" {
		t.Errorf("message-updated after socket delete = %+v", u)
	}
}

// TestChatReactions: reactions over REST against the real binaries:
// idempotent adds with correct counts under concurrent adds, removal, the
// list of who reacted, 404 for a non-member, 422 for a bad emoji, and
// message-updated on a member's socket.
func TestChatReactions(t *testing.T) {
	s, gws := newGatewayStack(t, 1, 1)
	c := s.Client(t)
	owner := newChat(t, s, c)
	var members []chat
	var ids []string
	for range 6 {
		m := newChat(t, s, c)
		members, ids = append(members, m), append(ids, m.a.ID)
	}
	outsider := newChat(t, s, c)
	room := owner.createRoom("private", ids...).ID
	sock := connect(t, gws[0].WS(), owner.a.AccessToken)
	sock.join(t, room, -1)
	m := owner.send(room, "react")
	sock.expect(t, "receive-message")
	path := "/api/chat/messages/" + m.ID + "/reactions/"
	smile := url.PathEscape("😀")

	// Every member adds 😀 three times at once.
	var wg sync.WaitGroup
	for _, u := range members {
		for range 3 {
			wg.Go(func() {
				if res := u.do(http.MethodPut, path+smile, nil); res.Status != http.StatusNoContent {
					t.Errorf("add: %s", res)
				}
			})
		}
	}
	wg.Wait()
	members[0].want(http.StatusNoContent, nil, http.MethodPut, path+":tada:", nil)
	members[1].want(http.StatusNoContent, nil, http.MethodDelete, path+smile, nil)
	members[1].want(http.StatusNoContent, nil, http.MethodDelete, path+smile, nil)
	wantProblem(t, outsider.do(http.MethodPut, path+smile, nil), http.StatusNotFound, "non-member reaction")
	wantProblem(t, members[0].do(http.MethodPut, path+"nope", nil), http.StatusUnprocessableEntity, "bad emoji", "emoji")

	var p chatPage[struct {
		Rev       int64 `json:"rev"`
		Reactions []struct {
			Emoji string `json:"emoji"`
			Count int    `json:"count"`
		} `json:"reactions"`
	}]
	owner.want(http.StatusOK, &p, http.MethodGet, "/api/chat/messages?roomId="+room, nil)
	if len(p.Items) != 1 || len(p.Items[0].Reactions) != 2 || p.Items[0].Reactions[0].Emoji != "😀" ||
		p.Items[0].Reactions[0].Count != 5 || p.Items[0].Reactions[1].Count != 1 {
		t.Fatalf("reactions on the message = %+v", p.Items)
	}
	// 6 adds, the shortcode and one removal: 8 changes, 8 revs above the send.
	if p.Items[0].Rev != m.Rev+8 {
		t.Errorf("rev after 8 reaction changes = %d, want %d", p.Items[0].Rev, m.Rev+8)
	}
	var list struct {
		Items []struct {
			Emoji  string `json:"emoji"`
			UserID string `json:"userId"`
		} `json:"items"`
	}
	owner.want(http.StatusOK, &list, http.MethodGet, "/api/chat/messages/"+m.ID+"/reactions", nil)
	if len(list.Items) != 6 {
		t.Errorf("reaction list = %+v, want 6 entries", list.Items)
	}
	wantProblem(t, outsider.do(http.MethodGet, "/api/chat/messages/"+m.ID+"/reactions", nil), http.StatusNotFound, "non-member list")
	var last chatMessage
	for range 8 {
		last = jsonOf[chatMessage](t, sock.expect(t, "message-updated").Data)
	}
	if last.Rev != m.Rev+8 {
		t.Errorf("last message-updated rev = %d, want %d", last.Rev, m.Rev+8)
	}

	// Over the socket: react acks the message as it now is.
	type reacted struct {
		Rev       int64 `json:"rev"`
		Reactions []struct {
			Emoji string `json:"emoji"`
			Count int    `json:"count"`
		} `json:"reactions"`
	}
	sock.send("react", "r1", map[string]any{"messageId": m.ID, "emoji": "👍", "op": "add"})
	ack := jsonOf[reacted](t, sock.ExpectRef(t, "r1", "ack", "error").Data)
	if ack.Rev != m.Rev+9 || len(ack.Reactions) != 3 || ack.Reactions[2].Emoji != "👍" || ack.Reactions[2].Count != 1 {
		t.Errorf("react add ack = %+v", ack)
	}
	sock.send("react", "r2", map[string]any{"messageId": m.ID, "emoji": "👍", "op": "remove"})
	if ack := jsonOf[reacted](t, sock.ExpectRef(t, "r2", "ack", "error").Data); ack.Rev != m.Rev+10 || len(ack.Reactions) != 2 {
		t.Errorf("react remove ack = %+v", ack)
	}
	sock.send("react", "r3", map[string]any{"messageId": m.ID, "emoji": "👍", "op": "toggle"})
	if f := sock.ExpectRef(t, "r3", "ack", "error"); f.Event != "error" || jsonOf[wsError](t, f.Data).Code != "bad_request" {
		t.Errorf("react with a bad op: %s %s", f.Event, f.Data)
	}
	sock.send("react", "r4", map[string]any{"messageId": m.ID, "emoji": "word", "op": "add"})
	if f := sock.ExpectRef(t, "r4", "ack", "error"); f.Event != "error" || jsonOf[wsError](t, f.Data).Code != "bad_request" {
		t.Errorf("react with a bad emoji: %s %s", f.Event, f.Data)
	}
}

// TestChatReplies: replyTo over REST and socket, 422 for a message of
// another room or a deleted one, the thread listing and replyCount.
func TestChatReplies(t *testing.T) {
	s, gws := newGatewayStack(t, 1, 1)
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)
	room := a.createRoom("private", b.a.ID).ID
	other := a.createRoom("private").ID
	parent := a.send(room, "parent")
	elsewhere := a.send(other, "elsewhere")
	gone := a.send(room, "gone")
	a.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+gone.ID, nil)

	var r1 struct {
		ID      string `json:"id"`
		ReplyTo string `json:"replyTo"`
	}
	b.want(http.StatusCreated, &r1, http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": "r1", "replyTo": parent.ID})
	if r1.ReplyTo != parent.ID {
		t.Errorf("reply = %+v", r1)
	}
	wantProblem(t, b.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": "x", "replyTo": elsewhere.ID}),
		http.StatusUnprocessableEntity, "reply to another room", "replyTo")
	wantProblem(t, b.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": "x", "replyTo": gone.ID}),
		http.StatusUnprocessableEntity, "reply to a deleted message", "replyTo")

	sock := connect(t, gws[0].WS(), b.a.AccessToken)
	sock.join(t, room, -1)
	sock.send("send-message", "s1", map[string]any{"roomId": room, "content": "r2", "replyTo": parent.ID})
	if f := sock.ExpectRef(t, "s1", "ack", "error"); f.Event != "ack" {
		t.Fatalf("socket reply: %s %s", f.Event, f.Data)
	}
	sock.send("send-message", "s2", map[string]any{"roomId": room, "content": "x", "replyTo": gone.ID})
	if f := sock.ExpectRef(t, "s2", "ack", "error"); f.Event != "error" || jsonOf[wsError](t, f.Data).Code != "bad_request" {
		t.Errorf("socket reply to a deleted message: %s %s", f.Event, f.Data)
	}

	th := b.history(room, url.Values{"replyTo": {parent.ID}, "limit": {"1"}})
	if len(th.Items) != 1 || th.Items[0].ID != r1.ID || th.NextCursor == nil {
		t.Fatalf("thread page 1 = %+v", th)
	}
	th2 := b.history(room, url.Values{"replyTo": {parent.ID}, "after": {*th.NextCursor}})
	if len(th2.Items) != 1 || th2.Items[0].Content != "r2" || th2.NextCursor != nil {
		t.Fatalf("thread page 2 = %+v", th2)
	}
	var p chatPage[struct {
		ID         string `json:"id"`
		ReplyCount int    `json:"replyCount"`
	}]
	a.want(http.StatusOK, &p, http.MethodGet, "/api/chat/messages?limit=1&after=0&roomId="+room, nil)
	if len(p.Items) != 1 || p.Items[0].ReplyCount != 2 {
		t.Errorf("parent = %+v, want replyCount 2", p.Items)
	}
}

// TestChatChangedSince: a client that saw rev N pages every change after
// it (new messages and edits, deletions, reactions of older ones), each
// message once at its current state, in rev order.
func TestChatChangedSince(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	c := s.Client(t)
	a := newChat(t, s, c)
	room := a.createRoom("private").ID
	m1, m2 := a.send(room, "one"), a.send(room, "two")
	seen := m2.Rev
	m3 := a.send(room, "three")
	a.want(http.StatusOK, nil, http.MethodPatch, "/api/chat/messages/"+m1.ID, map[string]any{"content": "one!"})
	a.want(http.StatusNoContent, nil, http.MethodPut, "/api/chat/messages/"+m2.ID+"/reactions/:ok:", nil)
	a.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+m3.ID, nil)

	var got []chatMessage
	since := strconv.FormatInt(seen, 10)
	for range 10 {
		p := a.history(room, url.Values{"changedSince": {since}, "limit": {"2"}})
		got = append(got, p.Items...)
		if p.NextCursor == nil {
			break
		}
		since = *p.NextCursor
	}
	// m3 was created, then deleted: once, deleted. Then m1 edited, m2 reacted to.
	if len(got) != 3 || got[0].ID != m1.ID || got[1].ID != m2.ID || got[2].ID != m3.ID ||
		got[0].Content != "one!" || got[2].DeletedAt == "" || got[0].Rev >= got[1].Rev || got[1].Rev >= got[2].Rev {
		t.Fatalf("changedSince %d = %+v", seen, got)
	}
	// Search follows edits and deletions.
	z := a.send(room, "zebra")
	a.want(http.StatusOK, nil, http.MethodPatch, "/api/chat/messages/"+z.ID, map[string]any{"content": "giraffe"})
	search := func(q string) int {
		var p chatPage[chatMessage]
		a.want(http.StatusOK, &p, http.MethodGet, "/api/chat/search?"+url.Values{"q": {q}, "roomId": {room}}.Encode(), nil)
		return len(p.Items)
	}
	if search("zebra") != 0 || search("giraffe") != 1 {
		t.Errorf("search after an edit: old text %d hits, new text %d; want 0, 1", search("zebra"), search("giraffe"))
	}
	a.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+z.ID, nil)
	if n := search("giraffe"); n != 0 {
		t.Errorf("a deleted message still found by search: %d hits", n)
	}
	wantProblem(t, a.do(http.MethodGet, "/api/chat/messages?changedSince=-1&roomId="+room, nil), http.StatusBadRequest, "negative changedSince", "changedSince")
	wantProblem(t, newChat(t, s, c).do(http.MethodGet, "/api/chat/messages?changedSince=0&roomId="+room, nil), http.StatusNotFound, "non-member")
}

// TestChatResumeWithLastRev: a socket disconnected while messages were
// sent, edited, deleted and reacted to rejoins with lastSeq and lastRev and
// gets the missed messages (receive-message), then one message-updated per
// changed older message in rev order, then the ack with the room's newest
// seq and rev: each change exactly once.
func TestChatResumeWithLastRev(t *testing.T) {
	s, gws := newGatewayStack(t, 1, 1)
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)
	room := a.createRoom("private", b.a.ID).ID
	m1, m2, m3 := a.send(room, "one"), a.send(room, "two"), a.send(room, "three")
	lastSeq, lastRev := m3.Seq, m3.Rev

	// b is away meanwhile.
	a.want(http.StatusOK, nil, http.MethodPatch, "/api/chat/messages/"+m2.ID, map[string]any{"content": "two!"})
	a.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+m1.ID, nil)
	a.want(http.StatusNoContent, nil, http.MethodPut, "/api/chat/messages/"+m2.ID+"/reactions/:ok:", nil)
	m4 := a.send(room, "four")
	a.want(http.StatusOK, nil, http.MethodPatch, "/api/chat/messages/"+m4.ID, map[string]any{"content": "four!"})

	sock := connect(t, gws[0].WS(), b.a.AccessToken)
	sock.send("join-room", "j", map[string]any{"roomId": room, "lastSeq": lastSeq, "lastRev": lastRev})
	var missed, updated []chatMessage
	var ack map[string]any
	for ack == nil {
		f := sock.expect(t, "receive-message", "message-updated", "ack", "error")
		switch f.Event {
		case "error":
			t.Fatalf("join-room: %s", f.Data)
		case "ack":
			ack = jsonOf[map[string]any](t, f.Data)
		case "receive-message":
			if len(updated) > 0 {
				t.Errorf("receive-message after message-updated")
			}
			missed = append(missed, jsonOf[chatMessage](t, f.Data))
		default:
			updated = append(updated, jsonOf[chatMessage](t, f.Data))
		}
	}
	if len(missed) != 1 || missed[0].ID != m4.ID || missed[0].Content != "four!" {
		t.Errorf("missed messages = %+v, want m4 as it is now", missed)
	}
	// m2 was edited then reacted to: one update, at its newest rev, which
	// is above m1's deletion, so m1 comes first.
	if len(updated) != 2 || updated[0].ID != m1.ID || updated[0].DeletedAt == "" ||
		updated[1].ID != m2.ID || updated[1].Content != "two!" || updated[0].Rev >= updated[1].Rev {
		t.Errorf("message-updated frames = %+v, want m1 (deleted) then m2 (edited, reacted)", updated)
	}
	// Five changes since lastRev: edit, delete, reaction, m4, its edit.
	if ack["lastSeq"] != float64(m4.Seq) || ack["lastRev"] != float64(lastRev+5) || ack["recovered"] != true {
		t.Errorf("join ack = %v, want lastSeq %d, lastRev %d, recovered", ack, m4.Seq, lastRev+5)
	}
	sock.quiet(t, 300*time.Millisecond, "message-updated", "receive-message")
}
