package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/gatewaytest"
)

// message is what a receiver keeps of a receive-message frame or a
// history item.
type message struct {
	ID          string `json:"id"`
	RoomID      string `json:"roomId"`
	Seq         int64  `json:"seq"`
	ClientMsgID string `json:"clientMsgId"`
}

// ack is the data of a send-message ack.
type ack struct {
	ID  string `json:"id"`
	Seq int64  `json:"seq"`
}

// dialReady connects to a random live gateway and waits for "ready". The
// clients never fail the test themselves: errors are outcomes to count
// (the faults cause many), only wrong data is a failure.
func dialReady(ctx context.Context, urls func() []string, rng *rand.Rand, token string) *gatewaytest.Client {
	for ctx.Err() == nil {
		us := urls()
		c, _, err := gatewaytest.Dial(us[rng.IntN(len(us))], token, gatewaytest.Options{
			Dialer: &websocket.Dialer{HandshakeTimeout: 3 * time.Second},
		})
		if err == nil {
			if _, ok := next(ctx, c, 5*time.Second, func(f gatewaytest.Frame) bool { return f.Event == "ready" }); ok {
				return c
			}
			c.Close()
		}
		sleep(ctx, 100*time.Millisecond+time.Duration(rng.IntN(200))*time.Millisecond)
	}
	return nil
}

// next returns the next frame match accepts, skipping others; false when
// the socket ends, d passes or ctx is done.
func next(ctx context.Context, c *gatewaytest.Client, d time.Duration, match func(gatewaytest.Frame) bool) (gatewaytest.Frame, bool) {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for {
		select {
		case f, ok := <-c.Frames:
			if !ok {
				return f, false
			}
			if match(f) {
				return f, true
			}
		case <-timeout.C:
			return gatewaytest.Frame{}, false
		case <-ctx.Done():
			return gatewaytest.Frame{}, false
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// sender sends numbered messages one at a time, each until acked: on an
// error answer it retries, on a dropped socket or no answer it reconnects
// (to a random gateway) and resends with the same clientMsgId.
type sender struct {
	name, token, room string
	rng               *rand.Rand

	mu       sync.Mutex
	acked    map[string]ack // clientMsgId -> ack
	sent     int            // frames written, resends included
	retries  map[string]int // error code or "reconnect" -> count
	rejected []string       // answers no retry can fix (a bug)
}

func (s *sender) count(kind string) {
	s.mu.Lock()
	s.retries[kind]++
	s.mu.Unlock()
}

// run sends until stop is closed, then finishes the message in flight;
// ctx bounds everything.
func (s *sender) run(ctx context.Context, stop <-chan struct{}, urls func() []string) {
	var c *gatewaytest.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		cmid := fmt.Sprintf("%s-%d", s.name, i)
		for ctx.Err() == nil {
			if c == nil {
				if c = dialReady(ctx, urls, s.rng, s.token); c == nil {
					return
				}
				// Sending needs a joined room (live only: no lastSeq).
				c.Send("join-room", "join", map[string]any{"roomId": s.room})
				f, ok := next(ctx, c, 8*time.Second, func(f gatewaytest.Frame) bool {
					return (f.Event == "ack" || f.Event == "error") && string(f.Ref) == `"join"`
				})
				if !ok || f.Event != "ack" {
					s.count("join failed")
					c.Close()
					c = nil
					sleep(ctx, 200*time.Millisecond)
					continue
				}
			}
			c.Send("send-message", cmid, map[string]any{"roomId": s.room, "content": "chaos " + cmid, "clientMsgId": cmid})
			s.mu.Lock()
			s.sent++
			s.mu.Unlock()
			want := `"` + cmid + `"`
			f, ok := next(ctx, c, 8*time.Second, func(f gatewaytest.Frame) bool {
				return (f.Event == "ack" || f.Event == "error") && string(f.Ref) == want
			})
			if !ok {
				s.count("reconnect")
				c.Close()
				c = nil
				continue
			}
			if f.Event == "ack" {
				var a ack
				if err := json.Unmarshal(f.Data, &a); err != nil || a.ID == "" || a.Seq < 1 {
					s.reject(cmid, "bad ack "+string(f.Data))
					break
				}
				s.mu.Lock()
				s.acked[cmid] = a
				s.mu.Unlock()
				break
			}
			var e gatewaytest.ErrorData
			_ = json.Unmarshal(f.Data, &e)
			s.count(e.Code)
			switch e.Code {
			case "unavailable", "internal", "rate_limited":
				sleep(ctx, 50*time.Millisecond+time.Duration(s.rng.IntN(200))*time.Millisecond)
				continue
			}
			s.reject(cmid, string(f.Data))
			break
		}
		sleep(ctx, time.Duration(s.rng.IntN(30))*time.Millisecond)
	}
}

func (s *sender) reject(cmid, why string) {
	s.mu.Lock()
	s.rejected = append(s.rejected, cmid+": "+why)
	s.mu.Unlock()
}

// history pages GET /api/chat/messages?roomId&after&before (ascending)
// on a random api, retrying failures until ctx ends.
func history(ctx context.Context, apis func() []string, rng *rand.Rand, token, room string, after, before int64) ([]message, bool) {
	var out []message
	hc := &http.Client{Timeout: 5 * time.Second}
	for ctx.Err() == nil {
		q := url.Values{"roomId": {room}, "after": {fmt.Sprint(after)}, "limit": {"100"}}
		if before > 0 {
			q.Set("before", fmt.Sprint(before))
		}
		us := apis()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, us[rng.IntN(len(us))]+"/api/chat/messages?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := hc.Do(req)
		if err != nil {
			sleep(ctx, 200*time.Millisecond)
			continue
		}
		var page struct {
			Items []message `json:"items"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || err != nil {
			sleep(ctx, 200*time.Millisecond)
			continue
		}
		if len(page.Items) == 0 {
			return out, true
		}
		out = append(out, page.Items...)
		after = page.Items[len(page.Items)-1].Seq
	}
	return out, false
}
