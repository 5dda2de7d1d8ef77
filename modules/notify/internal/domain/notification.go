package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// PreviewRunes bounds the message preview in a push: enough to read on a
// lock screen, far below the ~4 KB a push service accepts.
const PreviewRunes = 120

// MessageNotice is what a push about new messages in a room says. When
// several messages arrive in one collapse window, it describes the latest
// and Count says how many there were.
type MessageNotice struct {
	RoomID     string
	RoomName   string
	MessageID  string
	Seq        int64
	SenderID   string
	SenderName string
	Preview    string
	Count      int
	SentAt     time.Time
}

// EncryptedPreview is the whole preview of a message of an end-to-end
// encrypted room: the server cannot read it.
const EncryptedPreview = "New message"

// Preview shortens content to PreviewRunes runes on a rune boundary, with an
// ellipsis when cut, and folds whitespace so a lock screen shows one line.
func Preview(content string) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(content, "")), " ")
	if utf8.RuneCountInString(s) <= PreviewRunes {
		return s
	}
	r := []rune(s)
	return string(r[:PreviewRunes-1]) + "…"
}

// Topic is the Web Push Topic header (RFC 8030 §5.4) for a room: a push
// service keeps only the newest undelivered push per topic, which collapses
// a busy room on a phone that is offline. It must be at most 32 base64url
// characters: a UUID's 32 hex digits are.
func Topic(roomID string) string {
	t := strings.ReplaceAll(roomID, "-", "")
	if len(t) > 32 {
		t = t[:32]
	}
	return t
}
