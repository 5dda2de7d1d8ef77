package chaos

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/chatforge/chat/apps/gateway/gatewaytest"
)

// receiver follows one room: it joins with the lastSeq it has, takes the
// replay (and, when the ack says recovered:false, the older missed part
// over REST), then the live messages; whenever the socket ends it
// reconnects to a random gateway and resumes. It records every message
// in the order it got it, as a client would show them.
type receiver struct {
	name, token, room string
	rng               *rand.Rand

	mu         sync.Mutex
	got        []int64 // seqs in arrival order
	last       int64   // highest seq seen
	joins      int
	drops      int // sockets the receiver dropped itself
	unrecov    int // acks with recovered:false
	restPaged  int // messages fetched over REST
	joinErrors map[string]int
}

func (r *receiver) lastSeq() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func (r *receiver) record(ms ...message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range ms {
		r.got = append(r.got, m.Seq)
		r.last = max(r.last, m.Seq)
	}
}

func (r *receiver) run(ctx context.Context, gws, apis func() []string) {
	for ctx.Err() == nil {
		c := dialReady(ctx, gws, r.rng, r.token)
		if c == nil {
			return
		}
		if r.join(ctx, c, apis) {
			r.follow(ctx, c)
		}
		c.Close()
	}
}

// join resumes the room on c; false when the socket must be replaced.
func (r *receiver) join(ctx context.Context, c *gatewaytest.Client, apis func() []string) bool {
	from := r.lastSeq()
	c.Send("join-room", "join", map[string]any{"roomId": r.room, "lastSeq": from})
	var replay []message
	for {
		f, ok := next(ctx, c, 10*time.Second, func(f gatewaytest.Frame) bool {
			return f.Event == "receive-message" || ((f.Event == "ack" || f.Event == "error") && string(f.Ref) == `"join"`)
		})
		if !ok {
			return false
		}
		switch f.Event {
		case "receive-message":
			var m message
			if json.Unmarshal(f.Data, &m) == nil && m.RoomID == r.room {
				replay = append(replay, m)
			}
			continue
		case "error":
			var e gatewaytest.ErrorData
			_ = json.Unmarshal(f.Data, &e)
			r.mu.Lock()
			r.joinErrors[e.Code]++
			r.mu.Unlock()
			sleep(ctx, 200*time.Millisecond)
			return false
		}
		var a struct {
			LastSeq   int64 `json:"lastSeq"`
			Recovered *bool `json:"recovered"`
		}
		_ = json.Unmarshal(f.Data, &a)
		r.mu.Lock()
		r.joins++
		r.mu.Unlock()
		if a.Recovered != nil && !*a.Recovered {
			before := a.LastSeq + 1
			if len(replay) > 0 {
				before = replay[0].Seq
			}
			older, ok := history(ctx, apis, r.rng, r.token, r.room, from, before)
			if !ok {
				return false
			}
			r.mu.Lock()
			r.unrecov++
			r.restPaged += len(older)
			r.mu.Unlock()
			r.record(older...)
		}
		r.record(replay...)
		return true
	}
}

// follow records live messages until the socket ends, or until the
// client drops it itself (after 2 to 10 s: a phone losing its network), so
// resumes happen under load and not only when a gateway dies.
func (r *receiver) follow(ctx context.Context, c *gatewaytest.Client) {
	drop := time.After(time.Duration(2000+r.rng.IntN(8000)) * time.Millisecond)
	for ctx.Err() == nil {
		select {
		case <-drop:
			r.mu.Lock()
			r.drops++
			r.mu.Unlock()
			return
		case f, ok := <-c.Frames:
			if !ok {
				return
			}
			if f.Event != "receive-message" {
				continue
			}
			var m message
			if json.Unmarshal(f.Data, &m) == nil && m.RoomID == r.room {
				r.record(m)
			}
		case <-ctx.Done():
		}
	}
}

// outcome compares what r got with the seqs 1..n.
type outcome struct{ lost, duplicated, reordered, gaps int }

func (r *receiver) outcome(n int64) outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	var o outcome
	seen := map[int64]bool{}
	var prev int64
	for _, s := range r.got {
		switch {
		case seen[s]:
			o.duplicated++
		case s < prev:
			o.reordered++
		case s > prev+1:
			o.gaps++
		}
		seen[s] = true
		prev = max(prev, s)
	}
	for s := int64(1); s <= n; s++ {
		if !seen[s] {
			o.lost++
		}
	}
	return o
}
