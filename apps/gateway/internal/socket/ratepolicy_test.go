package socket

import (
	"encoding/json"
	"testing"
	"time"
)

// TestRatePolicy: a client slightly over the frame rate only gets
// rate_limited answers with a retry hint, however long it keeps going; a
// flood far over it is closed with 4008 (limits.FrameRate).
func TestRatePolicy(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) {
		c.RatePerSec, c.RateBurst, c.RateAbuseWindow = 10, 5, 2*time.Second
		c.BadFrameLimit = 3
	})

	t.Run("slightly over is answered, never closed", func(t *testing.T) {
		c := e.dial(t, 0, e.user(t).Token)
		const perSec, seconds = 12, 4 // 1.2x the limit
		tick := time.NewTicker(time.Second / perSec)
		defer tick.Stop()
		sent := 0
		for range tick.C {
			c.send("typing-start", "t", nil)
			if sent++; sent == perSec*seconds {
				break
			}
		}
		acks, limited := 0, 0
		deadline := time.After(10 * time.Second)
		for acks+limited < sent {
			select {
			case f, ok := <-c.frames:
				if !ok {
					t.Fatalf("closed (code %d) after %d acks and %d refusals", c.closeCode(t), acks, limited)
				}
				switch f.Event {
				case "ack":
					acks++
				case "error":
					var d struct {
						Code         string `json:"code"`
						RetryAfterMs int64  `json:"retryAfterMs"`
					}
					_ = json.Unmarshal(f.Data, &d)
					if d.Code != "rate_limited" || d.RetryAfterMs <= 0 || d.RetryAfterMs > 1000 {
						t.Fatalf("error frame %s: want rate_limited with retryAfterMs in (0, 1000]", f.Data)
					}
					limited++
				}
			case <-deadline:
				t.Fatalf("%d of %d frames answered", acks+limited, sent)
			}
		}
		if limited == 0 {
			t.Error("no frame refused at 1.2x the limit")
		}
		// Still open and working once it slows down.
		time.Sleep(time.Second)
		c.send("typing-stop", "s", nil)
		c.expect(t, "ack")
	})

	t.Run("flood is closed with 4008", func(t *testing.T) {
		c := e.dial(t, 0, e.user(t).Token)
		for range 300 {
			c.send("typing-start", "", nil)
		}
		if code := c.closeCode(t); code != 4008 {
			t.Errorf("close code after a flood = %d, want 4008", code)
		}
	})
}
