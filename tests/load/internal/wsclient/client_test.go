package wsclient

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestFields(t *testing.T) {
	t.Parallel()
	f := []byte(`{"event":"receive-message","data":{"id":"x","roomId":"r","seq":42,"userId":"u","content":"lt:3:99:a\"b","timestamp":"t"}}`)
	if !IsEvent(f, "receive-message") || IsEvent(f, "receive") || Event(f) != "receive-message" {
		t.Error("event detection")
	}
	if seq, ok := IntField(f, "seq"); !ok || seq != 42 {
		t.Errorf("seq = %d, %v", seq, ok)
	}
	if c, ok := StringField(f, "content"); !ok || string(c) != `lt:3:99:a\"b` {
		t.Errorf("content = %q, %v", c, ok)
	}
	if _, ok := StringField(f, "ref"); ok {
		t.Error("ref found in a frame without one")
	}
	if Event([]byte(`{"data":{},"event":"ack"}`)) != "ack" {
		t.Error("fallback decoding")
	}
}

// TestDialSendReceive runs against a tiny echo server speaking the start
// of the protocol: a ready frame, then an ack per frame.
func TestDialSendReceive(t *testing.T) {
	t.Parallel()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"ready","data":{"userId":"u"}}`))
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			ref, _ := StringField(b, "ref")
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"ack","ref":"`+string(ref)+`","data":{}}`))
			_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "bye"))
		}
	}))
	defer srv.Close()
	d := &Dialer{URL: "ws" + strings.TrimPrefix(srv.URL, "http"), SourceIPs: 3}
	if _, err := d.Dial(t.Context(), 0, "bad", nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token: %v", err)
	}
	got := make(chan string, 1)
	var at time.Time
	c, err := d.Dial(t.Context(), 5, "tok", func(_ *Conn, f []byte, a time.Time) {
		ref, _ := StringField(f, "ref")
		at = a
		got <- string(ref)
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if err := c.Send("send-message", "s1", []byte(`{"content":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r != "s1" {
		t.Errorf("ack ref = %q", r)
	}
	// The frame's time is the kernel's receive time where it has one.
	if at.Before(sent) || at.After(time.Now()) {
		t.Errorf("ack received at %v, sent at %v", at, sent)
	}
	if c.rx == nil && runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		t.Error("no kernel receive times on 64-bit Linux")
	}
	if c.rx != nil && c.rx.rxTime().IsZero() {
		t.Error("no kernel receive time was read")
	}
	if code := c.CloseCode(); code != 4001 {
		t.Errorf("close code = %d", code)
	}
}
