package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/gatewaytest"
)

// Socket clients of the rolling-restart test that survive their gateway
// going away: they reconnect through the load balancer (to whichever
// gateway it picks), a sender resends an unanswered message with the same
// clientMsgId, and a receiver rejoins with its last seq.

var errSocketClosed = errors.New("socket closed")

// lbDial connects and waits for the ready frame.
func lbDial(url, token string) (*gatewaytest.Client, error) {
	c, _, err := gatewaytest.Dial(url, token, gatewaytest.Options{
		Dialer: &websocket.Dialer{HandshakeTimeout: 5 * time.Second}, Buffer: 8192,
	})
	if err != nil {
		return nil, err
	}
	if _, err := lbAwait(c, 10*time.Second, func(f gatewaytest.Frame) bool { return f.Event == "ready" }); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// lbAwait returns the next frame match accepts, skipping others.
func lbAwait(c *gatewaytest.Client, d time.Duration, match func(gatewaytest.Frame) bool) (gatewaytest.Frame, error) {
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-c.Frames:
			if !ok {
				return f, errSocketClosed
			}
			if match(f) {
				return f, nil
			}
		case <-timeout:
			return gatewaytest.Frame{}, fmt.Errorf("no frame within %s", d)
		}
	}
}

type lbSender struct {
	url, token, room string

	mu                  sync.Mutex
	out                 []chatMessage
	errs                []string
	reconnects, resends int
}

func (s *lbSender) acked() []chatMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]chatMessage(nil), s.out...)
}

// run sends m-0, m-1, ... one at a time until ctx ends. A message once
// started is retried until acknowledged (or a minute passes), so every
// stored message is in the acknowledged list.
func (s *lbSender) run(ctx context.Context) {
	var c *gatewaytest.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for i := 0; ctx.Err() == nil; i++ {
		id := fmt.Sprintf("m-%d", i)
		give := time.Now().Add(time.Minute)
		for {
			if time.Now().After(give) {
				s.fail("%s: not acknowledged within a minute", id)
				return
			}
			if c == nil {
				var err error
				if c, err = lbDial(s.url, s.token); err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				// Sending needs the room joined on this connection.
				c.Send("join-room", "join", map[string]any{"roomId": s.room})
				f, err := lbAwait(c, 15*time.Second, func(f gatewaytest.Frame) bool { return string(f.Ref) == `"join"` })
				if err != nil || f.Event != "ack" {
					c.Close()
					c = nil
					time.Sleep(200 * time.Millisecond)
					continue
				}
			}
			c.Send("send-message", id, map[string]any{"roomId": s.room, "content": "rolling " + id, "clientMsgId": id})
			f, err := lbAwait(c, 15*time.Second, func(f gatewaytest.Frame) bool {
				return (f.Event == "ack" || f.Event == "error") && string(f.Ref) == `"`+id+`"`
			})
			if err != nil {
				c.Close()
				c = nil
				s.count(&s.reconnects)
				continue
			}
			if f.Event == "ack" {
				var m chatMessage
				if err := json.Unmarshal(f.Data, &m); err != nil {
					s.fail("%s: ack %s: %v", id, f.Data, err)
					return
				}
				s.mu.Lock()
				s.out = append(s.out, m)
				s.mu.Unlock()
				break
			}
			var e gatewaytest.ErrorData
			_ = json.Unmarshal(f.Data, &e)
			if e.Code != "unavailable" {
				s.fail("%s: error %s", id, f.Data)
				return
			}
			s.count(&s.resends)
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *lbSender) count(n *int) {
	s.mu.Lock()
	*n++
	s.mu.Unlock()
}

func (s *lbSender) fail(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

type lbReceiver struct {
	url, token, room string
	c                *gatewaytest.Client
	done             chan struct{}
	once             sync.Once

	mu         sync.Mutex
	msgs       []chatMessage
	reconnects int
}

// connect joins the room before the sender starts.
func (r *lbReceiver) connect(t *testing.T) {
	t.Helper()
	r.done = make(chan struct{})
	c, err := lbDial(r.url, r.token)
	if err != nil {
		t.Fatalf("receiver: %v", err)
	}
	r.c = c
	c.Send("join-room", "join", map[string]any{"roomId": r.room})
	if f, err := lbAwait(c, 15*time.Second, func(f gatewaytest.Frame) bool { return string(f.Ref) == `"join"` }); err != nil || f.Event != "ack" {
		t.Fatalf("receiver join: %v %v", f, err)
	}
}

func (r *lbReceiver) stop() { r.once.Do(func() { close(r.done) }) }

func (r *lbReceiver) lastSeq() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		return 0
	}
	return r.msgs[len(r.msgs)-1].Seq
}

func (r *lbReceiver) messages() []chatMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chatMessage(nil), r.msgs...)
}

// run records every receive-message of the room until stop, rejoining with
// the last seq after a reconnect (the replay comes as receive-message too).
// Nothing is deduplicated here: a duplicate delivery fails the test.
func (r *lbReceiver) run() {
	defer func() { r.c.Close() }()
	for {
		select {
		case <-r.done:
			return
		case f, ok := <-r.c.Frames:
			if ok {
				r.handle(f)
				continue
			}
			r.mu.Lock()
			r.reconnects++
			r.mu.Unlock()
			for {
				select {
				case <-r.done:
					return
				default:
				}
				c, err := lbDial(r.url, r.token)
				if err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				r.c = c
				r.rejoin()
				break
			}
		}
	}
}

func (r *lbReceiver) rejoin() {
	r.c.Send("join-room", "join", map[string]any{"roomId": r.room, "lastSeq": r.lastSeq()})
}

func (r *lbReceiver) handle(f gatewaytest.Frame) {
	switch {
	case f.Event == "receive-message":
		var m chatMessage
		if json.Unmarshal(f.Data, &m) == nil && m.RoomID == r.room {
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
		}
	case f.Event == "error" && string(f.Ref) == `"join"`:
		// The api that got the join is going away: ask again.
		time.Sleep(200 * time.Millisecond)
		r.rejoin()
	}
}
