package domain

import "time"

// PendingMessage is the newest message a recipient has not been pushed
// about in one room, with how many arrived since the last push.
type PendingMessage struct {
	MessageID string
	Seq       int64
	SenderID  string
	Content   string
	SentAt    time.Time
	Count     int
}
