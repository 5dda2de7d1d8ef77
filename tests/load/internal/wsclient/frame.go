package wsclient

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The gateway writes every frame as {"event":E,"ref":R,"data":D} in that
// order (protocol.Frame), so the readers below look for fields by their
// quoted key instead of decoding JSON: at tens of thousands of frames a
// second, a full json.Unmarshal per frame would make the load tool the
// bottleneck. They fall back to encoding/json when a frame looks otherwise.

// Event returns the event name of a frame.
func Event(frame []byte) string {
	if rest, ok := bytes.CutPrefix(frame, []byte(`{"event":"`)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 {
			return string(rest[:i])
		}
	}
	var f struct {
		Event string `json:"event"`
	}
	_ = json.Unmarshal(frame, &f)
	return f.Event
}

// IsEvent reports whether frame is of event, without allocating.
func IsEvent(frame []byte, event string) bool {
	rest, ok := bytes.CutPrefix(frame, []byte(`{"event":"`))
	if !ok {
		return Event(frame) == event
	}
	return len(rest) > len(event) && string(rest[:len(event)]) == event && rest[len(event)] == '"'
}

// StringField returns the raw value of the first string field key
// ("ref", "content", "code"...): the bytes between its quotes, escapes left
// as they are. ok is false when the field is absent or not a string.
func StringField(frame []byte, key string) (val []byte, ok bool) {
	i := indexKey(frame, key)
	if i < 0 || i >= len(frame) || frame[i] != '"' {
		return nil, false
	}
	rest := frame[i+1:]
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '"':
			return rest[:j], true
		}
	}
	return nil, false
}

// IntField returns the first integer field key ("seq", "lastSeq").
func IntField(frame []byte, key string) (int64, bool) {
	i := indexKey(frame, key)
	if i < 0 {
		return 0, false
	}
	j := i
	for j < len(frame) && (frame[j] == '-' || (frame[j] >= '0' && frame[j] <= '9')) {
		j++
	}
	n, err := strconv.ParseInt(string(frame[i:j]), 10, 64)
	return n, err == nil
}

// indexKey returns the index of the value of "key": (spaces skipped).
func indexKey(frame []byte, key string) int {
	var pat [64]byte
	p := append(pat[:0], '"')
	p = append(p, key...)
	p = append(p, '"', ':')
	i := bytes.Index(frame, p)
	if i < 0 {
		return -1
	}
	i += len(p)
	for i < len(frame) && frame[i] == ' ' {
		i++
	}
	return i
}
