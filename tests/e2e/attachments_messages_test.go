package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// filedMessage is a ChatMessage with its attachments.
type filedMessage struct {
	chatMessage
	Attachments []chatAttachment `json:"attachments"`
}

func attachmentIDs(m filedMessage) []string {
	var ids []string
	for _, a := range m.Attachments {
		ids = append(ids, a.ID)
	}
	return ids
}

// TestAttachmentsInMessages: messages carry attachments sent with
// attachmentIds over REST and the socket: in the POST answer, the ack,
// receive-message on another member's socket and history; an attachment
// claimed twice or someone else's is refused; deleting the message drops
// them (message-updated and history without attachments, links dead).
func TestAttachmentsInMessages(t *testing.T) {
	env := apiEnv()
	env["STORAGE_DIR"] = t.TempDir()
	s := harness.NewStack(t, harness.Options{Env: env})
	gw := startGateway(t, s, "gateway-0", nil)
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)
	room := a.createRoom("private", b.a.ID).ID

	bsock := connect(t, gw.WS(), b.a.AccessToken)
	bsock.join(t, room, -1)

	up := func(u chat, name string, data []byte) chatAttachment {
		t.Helper()
		var att chatAttachment
		res := u.upload(room, name, data)
		if res.Status != http.StatusCreated {
			t.Fatalf("upload %s: %s", name, res)
		}
		res.JSON(t, &att)
		return att
	}
	pic, notes, theirs := up(a, "cat.png", testPNG(t, 64, 48)), up(a, "notes.txt", []byte("notes")), up(b, "b.txt", []byte("b"))

	// REST: no content, one attachment.
	var sent filedMessage
	a.want(http.StatusCreated, &sent, http.MethodPost, "/api/chat/messages",
		map[string]any{"roomId": room, "attachmentIds": []string{pic.ID}})
	if sent.Content != "" || len(sent.Attachments) != 1 || sent.Attachments[0].ID != pic.ID || sent.Attachments[0].URL == "" ||
		sent.Attachments[0].ThumbnailURL == "" || sent.Attachments[0].Name != "cat.png" || sent.Attachments[0].RoomID != room {
		t.Fatalf("POST answer = %+v", sent)
	}
	if res, _ := fetch(t, s, sent.Attachments[0].URL); res.StatusCode != http.StatusOK {
		t.Errorf("attachment link of the message: %d", res.StatusCode)
	}
	if got := jsonOf[filedMessage](t, bsock.expect(t, "receive-message").Data); got.ID != sent.ID ||
		len(got.Attachments) != 1 || got.Attachments[0].ID != pic.ID || got.Attachments[0].URL == "" {
		t.Errorf("receive-message = %+v", got)
	}

	// Refusals change nothing: an attachment already carried, someone
	// else's, an unknown id, no content and no attachments.
	post := func(body map[string]any) *harness.Response {
		return a.do(http.MethodPost, "/api/chat/messages", body)
	}
	wantProblem(t, post(map[string]any{"roomId": room, "content": "again", "attachmentIds": []string{pic.ID}}),
		http.StatusUnprocessableEntity, "attachment claimed twice", "attachmentIds")
	wantProblem(t, post(map[string]any{"roomId": room, "content": "x", "attachmentIds": []string{theirs.ID}}),
		http.StatusUnprocessableEntity, "someone else's attachment", "attachmentIds")
	wantProblem(t, post(map[string]any{"roomId": room, "content": "x", "attachmentIds": []string{notes.ID, notes.ID}}),
		http.StatusUnprocessableEntity, "repeated attachment", "attachmentIds")
	if res := post(map[string]any{"roomId": room, "content": ""}); res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty message without attachments: %s", res)
	}

	// The socket: the ack and the other member's receive-message.
	asock := connect(t, gw.WS(), a.a.AccessToken)
	asock.join(t, room, -1)
	asock.send("send-message", "s1", map[string]any{"roomId": room, "content": "see", "attachmentIds": []string{notes.ID}})
	f := asock.ExpectRef(t, "s1", "ack", "error")
	ack := jsonOf[filedMessage](t, f.Data)
	if f.Event != "ack" || len(ack.Attachments) != 1 || ack.Attachments[0].ID != notes.ID {
		t.Fatalf("send-message ack: %s %s", f.Event, f.Data)
	}
	if got := jsonOf[filedMessage](t, bsock.expect(t, "receive-message").Data); got.ID != ack.ID || len(got.Attachments) != 1 {
		t.Errorf("receive-message of the socket send = %+v", got)
	}
	asock.send("send-message", "s2", map[string]any{"roomId": room, "content": "x", "attachmentIds": []string{notes.ID}})
	if f := asock.ExpectRef(t, "s2", "ack", "error"); f.Event != "error" || jsonOf[wsError](t, f.Data).Code != "bad_request" {
		t.Errorf("socket send of an attachment claimed twice: %s %s", f.Event, f.Data)
	}
	asock.send("send-message", "s3", map[string]any{"roomId": room, "content": "x", "attachmentIds": []string{theirs.ID}})
	if f := asock.ExpectRef(t, "s3", "ack", "error"); f.Event != "error" || jsonOf[wsError](t, f.Data).Code != "bad_request" {
		t.Errorf("socket send of someone else's attachment: %s %s", f.Event, f.Data)
	}

	// History carries them, with fresh links; messages without any omit the field.
	plain := a.send(room, "plain")
	var page chatPage[filedMessage]
	b.want(http.StatusOK, &page, http.MethodGet, "/api/chat/messages?"+url.Values{"roomId": {room}}.Encode(), nil)
	byID := map[string]filedMessage{}
	for _, m := range page.Items {
		byID[m.ID] = m
	}
	if ids := attachmentIDs(byID[sent.ID]); len(ids) != 1 || ids[0] != pic.ID {
		t.Errorf("history: first message's attachments = %v", ids)
	}
	if ids := attachmentIDs(byID[ack.ID]); len(ids) != 1 || ids[0] != notes.ID {
		t.Errorf("history: socket message's attachments = %v", ids)
	}
	if m, ok := byID[plain.ID]; !ok || m.Attachments != nil {
		t.Errorf("history: plain message = %+v", m)
	}

	// An edit keeps them: in the answer and in message-updated.
	var edited filedMessage
	a.want(http.StatusOK, &edited, http.MethodPatch, "/api/chat/messages/"+ack.ID, map[string]any{"content": "seen"})
	if ids := attachmentIDs(edited); edited.Content != "seen" || len(ids) != 1 || ids[0] != notes.ID {
		t.Errorf("PATCH answer = %+v", edited)
	}
	if got := jsonOf[filedMessage](t, bsock.expect(t, "message-updated").Data); got.ID != ack.ID || len(got.Attachments) != 1 {
		t.Errorf("message-updated after edit = %+v", got)
	}

	var found chatPage[filedMessage]
	b.want(http.StatusOK, &found, http.MethodGet, "/api/chat/search?"+url.Values{"q": {"seen"}, "roomId": {room}}.Encode(), nil)
	if len(found.Items) != 1 || len(found.Items[0].Attachments) != 1 {
		t.Errorf("search hits = %+v", found.Items)
	}

	// Deleting the message drops its attachments.
	link := sent.Attachments[0].URL
	a.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+sent.ID, nil)
	if got := jsonOf[filedMessage](t, bsock.expect(t, "message-updated").Data); got.ID != sent.ID || got.DeletedAt == "" || got.Attachments != nil {
		t.Errorf("message-updated after delete = %+v", got)
	}
	page = chatPage[filedMessage]{} // decoding into old items would keep their attachments
	b.want(http.StatusOK, &page, http.MethodGet, "/api/chat/messages?"+url.Values{"roomId": {room}}.Encode(), nil)
	for _, m := range page.Items {
		if m.ID == sent.ID && m.Attachments != nil {
			t.Errorf("history after delete: %+v", m)
		}
	}
	if res, _ := fetch(t, s, link); res.StatusCode == http.StatusOK {
		t.Errorf("link of a deleted message's attachment still serves")
	}
	wantProblem(t, b.do(http.MethodGet, "/api/chat/attachments/"+pic.ID, nil), http.StatusNotFound, "dropped attachment")
}
