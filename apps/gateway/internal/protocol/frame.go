package protocol

import (
	"encoding/json"
	"strconv"
	"time"
)

// Server frames are built by appending to a byte slice instead of
// marshalling a struct: the hot ones (receive-message, typing, message-read)
// are built once per event and shared by every receiving connection, and
// their data is either already JSON (the event's own payload) or a few ids.

// Frame returns {"event":E,"ref":R,"data":D}; ref is omitted when empty and
// data when nil. data must be valid JSON.
func Frame(event string, ref json.RawMessage, data []byte) []byte {
	b := make([]byte, 0, len(event)+len(ref)+len(data)+32)
	b = append(b, `{"event":`...)
	b = appendString(b, event)
	if len(ref) > 0 {
		b = append(b, `,"ref":`...)
		b = append(b, ref...)
	}
	if data != nil {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}')
}

// ReceiveMessage wraps a message event's data (the message JSON).
func ReceiveMessage(message []byte) []byte { return Frame(EventReceiveMessage, nil, message) }

// MessageUpdated wraps a message.updated event's data (the whole message
// after an edit, deletion or reaction).
func MessageUpdated(message []byte) []byte { return Frame(EventMessageUpdated, nil, message) }

// Ack answers the request with ref.
func Ack(ref json.RawMessage, data []byte) []byte { return Frame(EventAck, ref, data) }

// ErrorFrame answers the request with ref (or no request) with e.
func ErrorFrame(ref json.RawMessage, e *Error) []byte {
	data, _ := json.Marshal(e) // strings and an int: cannot fail
	return Frame(EventError, ref, data)
}

// Ready is the first frame of every connection.
func Ready(userID, sessionID, connectionID string) []byte {
	b := append(make([]byte, 0, 160), `{"userId":`...)
	b = appendString(b, userID)
	b = append(b, `,"sessionId":`...)
	b = appendString(b, sessionID)
	b = append(b, `,"connectionId":`...)
	b = appendString(b, connectionID)
	return Frame(EventReady, nil, append(b, '}'))
}

// TypingFrame is typing-start or typing-stop (event) of userID in roomID.
func TypingFrame(event, userID, roomID string) []byte {
	b := append(make([]byte, 0, 96), `{"userId":`...)
	b = appendString(b, userID)
	b = append(b, `,"roomId":`...)
	b = appendString(b, roomID)
	return Frame(event, nil, append(b, '}'))
}

// MessageRead tells that userID read roomID up to seq.
func MessageRead(roomID, userID string, seq int64) []byte {
	b := append(make([]byte, 0, 112), `{"roomId":`...)
	b = appendString(b, roomID)
	b = append(b, `,"userId":`...)
	b = appendString(b, userID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	return Frame(EventMessageRead, nil, append(b, '}'))
}

// MessageReadOwn is MessageRead for the reader's own sockets (every
// device of theirs): it adds unread, what is left to read in the room.
func MessageReadOwn(roomID, userID string, seq, unread int64) []byte {
	b := append(make([]byte, 0, 128), `{"roomId":`...)
	b = appendString(b, roomID)
	b = append(b, `,"userId":`...)
	b = appendString(b, userID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"unread":`...)
	b = strconv.AppendInt(b, unread, 10)
	return Frame(EventMessageRead, nil, append(b, '}'))
}

// DeviceKeysChanged tells that userID's devices changed.
func DeviceKeysChanged(userID string) []byte {
	b := append(make([]byte, 0, 64), `{"userId":`...)
	b = appendString(b, userID)
	return Frame(EventDeviceKeysChanged, nil, append(b, '}'))
}

// Presence tells that userID went online or offline; lastSeen is sent with
// offline (zero: omitted).
func Presence(userID string, online bool, lastSeen time.Time) []byte {
	b := append(make([]byte, 0, 112), `{"userId":`...)
	b = appendString(b, userID)
	if online {
		b = append(b, `,"status":"online"`...)
	} else {
		b = append(b, `,"status":"offline"`...)
	}
	if !lastSeen.IsZero() {
		b = append(b, `,"lastSeen":"`...)
		b = lastSeen.UTC().AppendFormat(b, TimeFormat)
		b = append(b, '"')
	}
	return Frame(EventPresence, nil, append(b, '}'))
}

// TimeFormat is the protocol's timestamp format: RFC 3339, milliseconds, UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// appendString appends s as a JSON string. Ids and event names are ASCII;
// control characters, quotes and backslashes are escaped so any input stays
// valid JSON.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

const hex = "0123456789abcdef"
