package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// History pages are the hottest read and encoding/json's reflection was a
// large share of their CPU: they are appended by hand into a pooled buffer,
// byte for byte what json.Marshal(page[messageDTO]) writes (encode_test.go
// holds the two together).

const jsonContentType = "application/json; charset=utf-8" // as gin's c.JSON

var pageBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// writeMessagePage answers 200 with {"items":[...],"nextCursor":...}.
func writeMessagePage(c *gin.Context, items []domain.Message, next int64) {
	bp := pageBufs.Get().(*[]byte)
	b := appendMessagePage((*bp)[:0], items, next)
	c.Data(http.StatusOK, jsonContentType, b)
	if cap(b) <= 1<<20 { // one huge page must not pin its buffer
		*bp = b
		pageBufs.Put(bp)
	}
}

// appendMessagePage appends the JSON of a history page; next 0 is a null
// cursor.
func appendMessagePage(b []byte, items []domain.Message, next int64) []byte {
	b = append(b, `{"items":[`...)
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, &items[i])
	}
	b = append(b, `],"nextCursor":`...)
	if next == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = strconv.AppendInt(b, next, 10)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendMessage appends the JSON of toMessage(*m).
func appendMessage(b []byte, m *domain.Message) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, m.ID)
	b = append(b, `,"roomId":`...)
	b = appendString(b, m.RoomID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, m.Seq, 10)
	b = append(b, `,"userId":`...)
	b = appendString(b, m.UserID)
	b = append(b, `,"content":`...)
	b = appendString(b, m.Content)
	if m.ClientMsgID != "" {
		b = append(b, `,"clientMsgId":`...)
		b = appendString(b, m.ClientMsgID)
	}
	b = append(b, `,"timestamp":"`...)
	b = appendStamp(b, m.CreatedAt)
	b = append(b, `","rev":`...)
	b = strconv.AppendInt(b, m.Rev, 10)
	if m.ReplyTo != "" {
		b = append(b, `,"replyTo":`...)
		b = appendString(b, m.ReplyTo)
	}
	if len(m.Attachments) > 0 {
		b = appendAttachments(b, m.Attachments)
	}
	if !m.EditedAt.IsZero() {
		b = append(b, `,"editedAt":"`...)
		b = append(appendStamp(b, m.EditedAt), '"')
	}
	if !m.DeletedAt.IsZero() {
		b = append(b, `,"deletedAt":"`...)
		b = append(appendStamp(b, m.DeletedAt), '"')
	}
	if len(m.Reactions) > 0 {
		b = append(b, `,"reactions":[`...)
		for i, r := range m.Reactions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"emoji":`...)
			b = appendString(b, r.Emoji)
			b = append(b, `,"count":`...)
			b = append(strconv.AppendInt(b, int64(r.Count), 10), '}')
		}
		b = append(b, ']')
	}
	if m.ReplyCount != 0 {
		b = append(b, `,"replyCount":`...)
		b = strconv.AppendInt(b, int64(m.ReplyCount), 10)
	}
	if m.Moderation.Status != "" {
		b = append(b, `,"moderation":{"status":`...)
		b = appendString(b, m.Moderation.Status)
		if m.Moderation.Reason != "" {
			b = append(b, `,"reason":`...)
			b = appendString(b, m.Moderation.Reason)
		}
		b = append(b, '}')
	}
	if m.Call != nil {
		// Written by the calls module as a JSON object: copied as is.
		b = append(b, `,"kind":"call","call":`...)
		b = append(b, m.Call...)
	}
	if m.Ciphertext != nil {
		c, err := json.Marshal(ciphertextOut(m.Ciphertext))
		if err == nil { // strings and a map of strings: cannot fail
			b = append(append(b, `,"ciphertext":`...), c...)
		}
	}
	return append(b, '}')
}

// appendAttachments appends `,"attachments":[...]`.
func appendAttachments(b []byte, atts []domain.Attachment) []byte {
	b = append(b, `,"attachments":[`...)
	for i := range atts {
		a := &atts[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendString(b, a.ID)
		b = append(b, `,"roomId":`...)
		b = appendString(b, a.RoomID)
		b = append(b, `,"name":`...)
		b = appendString(b, a.Name)
		b = append(b, `,"contentType":`...)
		b = appendString(b, a.ContentType)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, a.Size, 10)
		b = append(b, `,"url":`...)
		b = appendString(b, a.URL)
		if a.ThumbnailURL != "" {
			b = append(b, `,"thumbnailUrl":`...)
			b = appendString(b, a.ThumbnailURL)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendStamp appends stamp(t) without the layout interpreter, which was
// half the cost of a message.
func appendStamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeFormat)
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / int(time.Millisecond)
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append2(b, int(month), '-')
	b = append2(b, day, 'T')
	b = append2(b, hour, ':')
	b = append2(b, minute, ':')
	b = append2(b, sec, '.')
	return append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// append2 appends n (0..99) in two digits, then sep.
func append2(b []byte, n int, sep byte) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10), sep)
}

const hexDigits = "0123456789abcdef"

// jsonSafe tells the bytes written as they are (ASCII only: the others
// start a rune to check): one table lookup per byte on the common path.
var jsonSafe = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string escaped as encoding/json does by
// default: HTML-safe (<, >, & as \u00XX), U+2028 and U+2029 escaped, and
// invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	// Ids, timestamps and most text need no escape: their safe prefix is
	// found eight bytes at a time and copied at once.
	i := safePrefix(s)
	b = append(b, s[:i]...)
	if i < len(s) {
		b = appendEscaped(b, s[i:])
	}
	return append(b, '"')
}

// Word-at-a-time byte tests (Bit Twiddling Hacks): lsb and msb are each
// byte's low and high bit.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// safePrefix returns the length of a prefix of s made of bytes jsonSafe
// writes as they are, found eight bytes at a time: all of s when it is
// safe and at least 8 bytes long, else at least its safe whole words.
// appendEscaped takes the rest (which may start with safe bytes too).
func safePrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if !safeWord(load64(s[i : i+8])) {
			return i
		}
	}
	// The tail, in the last 8 bytes (overlapping the words above).
	if i < len(s) && len(s) >= 8 && safeWord(load64(s[len(s)-8:])) {
		return len(s)
	}
	return i
}

// load64 reads 8 bytes little-endian; with len(w) known to be 8 there is
// no bounds check, and the shifts compile to one load.
func load64(w string) uint64 {
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// safeWord reports whether the 8 bytes of x are all ASCII, none a control
// byte (< 0x20) nor one of the five escaped ones: each test leaves a high
// bit set for a byte it catches (exact as to whether one does), so one
// branch decides. A byte equal to c is a zero byte of x^(c*lsb).
func safeWord(x uint64) bool {
	return (x|less(x, 0x20)|zero(x^('"'*lsb))|zero(x^('\\'*lsb))|zero(x^('<'*lsb))|zero(x^('>'*lsb))|zero(x^('&'*lsb)))&msb == 0
}

// zero has a byte's high bit set when a byte of v is zero.
func zero(v uint64) uint64 { return (v - lsb) &^ v }

// less has a byte's high bit set when a byte of v is below n (n <= 0x80).
func less(v, n uint64) uint64 { return (v - n*lsb) &^ v }

// appendEscaped appends s escaped, without quotes: appendString's byte by
// byte path.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}
