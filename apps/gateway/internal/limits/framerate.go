package limits

import (
	"time"

	"golang.org/x/time/rate"
)

// AbuseFactor: a connection that keeps sending more than this many times
// its frame rate for the abuse window is closed (see FrameRate).
const AbuseFactor = 2

// FrameRate is one connection's frame-rate policy. Frames within Rate
// (with bursts up to Burst) are allowed; a frame over it is refused with
// the time until the next one would be allowed, and the connection stays
// open. Refused frames feed a second bucket that refills at Rate and
// holds Rate x window: it runs dry only when refusals outpace Rate, i.e.
// when the client sends more than AbuseFactor (2) times Rate, and then
// after about window x Rate / (sent - 2 x Rate) seconds (window seconds at
// 3x the rate, a fraction of a second for a flood). That is abuse, and
// the connection is closed (4008). A client slightly over the limit only
// gets refusals, however long it keeps going.
//
// Not safe for concurrent use: a connection's frames are handled one at a
// time on its reader.
type FrameRate struct {
	frames *rate.Limiter
	abuse  *rate.Limiter
}

// Verdict is FrameRate's answer for one frame.
type Verdict struct {
	Allowed    bool
	RetryAfter time.Duration // when refused: until the next frame is allowed
	Abuse      bool          // when refused: close the connection
}

// NewFrameRate returns the policy of one connection: perSec frames a
// second, bursts of burst, abuse after window of sending over AbuseFactor
// times perSec. A window under a second counts as one second.
func NewFrameRate(perSec float64, burst int, window time.Duration) *FrameRate {
	window = max(window, time.Second)
	return &FrameRate{
		frames: rate.NewLimiter(rate.Limit(perSec), burst),
		abuse:  rate.NewLimiter(rate.Limit(perSec), max(1, int(perSec*window.Seconds()))),
	}
}

// Allow judges one frame received at now.
func (f *FrameRate) Allow(now time.Time) Verdict {
	r := f.frames.ReserveN(now, 1)
	if !r.OK() {
		return Verdict{RetryAfter: time.Second, Abuse: !f.abuse.AllowN(now, 1)}
	}
	d := r.DelayFrom(now)
	if d == 0 {
		return Verdict{Allowed: true}
	}
	r.CancelAt(now) // a refused frame takes no token
	return Verdict{RetryAfter: d, Abuse: !f.abuse.AllowN(now, 1)}
}
