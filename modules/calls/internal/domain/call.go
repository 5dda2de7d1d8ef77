// Package domain holds the call model and its rules: states, outcomes, the
// reasons a device's ringing or call ends, and TURN credentials. Plain Go.
package domain

import (
	"errors"
	"slices"
	"time"
)

// State is where a call is: ringing -> active -> ended, or ringing -> ended.
type State string

// States.
const (
	Ringing State = "ringing"
	Active  State = "active"
	Ended   State = "ended"
)

// Outcome is how an ended call ended; it is the status of its history entry.
type Outcome string

// Outcomes.
const (
	Completed Outcome = "completed" // answered, then hung up by either party
	Missed    Outcome = "missed"    // nobody answered within the ring timeout
	Declined  Outcome = "declined"  // every member rung declined
	Cancelled Outcome = "cancelled" // the caller hung up while it rang
	Busy      Outcome = "busy"      // every member was in another call
)

// Reasons sent in call-ended.
const (
	ReasonHangup            = "hangup"             // the other party hung up
	ReasonMissed            = "missed"             // ring timeout
	ReasonDeclined          = "declined"           // the callee(s) declined
	ReasonCancelled         = "cancelled"          // the caller hung up before an answer
	ReasonBusy              = "busy"               // the callee is in another call
	ReasonAnsweredElsewhere = "answered-elsewhere" // another device took the call
)

// Media kinds.
const (
	Audio = "audio"
	Video = "video"
)

// Limits.
const (
	// MaxInvitees is the largest number of members a call rings: calls are
	// for direct and small rooms (media is peer to peer, one answerer).
	MaxInvitees = 50
	// MaxBufferedICE is how many candidates the caller may send before an
	// answer; they are handed to the answering device with the answer.
	MaxBufferedICE = 64
)

// Errors of the use cases (mapped to socket error codes at the edge).
var (
	ErrNotFound  = errors.New("calls: no such call or room")
	ErrForbidden = errors.New("calls: not allowed")
	ErrInvalid   = errors.New("calls: invalid")
	ErrOver      = errors.New("calls: the call is over or was answered elsewhere")
)

// Call is one call. Invitees are the members rung (all but the caller);
// AnsweredBy/AnswererSession are set once answered.
type Call struct {
	ID              string
	RoomID          string
	CallerID        string
	CallerSession   string
	Media           string
	Invitees        []string
	Declined        []string
	State           State
	Outcome         Outcome
	AnsweredBy      string
	AnswererSession string
	CreatedAt       time.Time
	RingDeadline    time.Time
	AnsweredAt      time.Time
	EndedAt         time.Time
}

// Duration is how long the call was connected (zero if never answered).
func (c Call) Duration() time.Duration {
	if c.AnsweredAt.IsZero() || c.EndedAt.IsZero() {
		return 0
	}
	return c.EndedAt.Sub(c.AnsweredAt)
}

// Invited reports whether user was rung by the call.
func (c Call) Invited(user string) bool { return slices.Contains(c.Invitees, user) }

// Party reports whether session is one of the two connected devices.
func (c Call) Party(session string) bool {
	return c.State == Active && (session == c.CallerSession || session == c.AnswererSession)
}

// Peer is the session at the other end of an active call from session.
func (c Call) Peer(session string) string {
	if session == c.CallerSession {
		return c.AnswererSession
	}
	return c.CallerSession
}

// ValidMedia reports whether m is a media kind.
func ValidMedia(m string) bool { return m == Audio || m == Video }
