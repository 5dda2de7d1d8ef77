// Package signal is the contract between the calls module (publisher) and
// the gateways (subscribers): the Redis pub/sub channel that carries call
// frames, and their envelope. The gateway imports only this package.
package signal

import (
	"encoding/json"
	"errors"
)

// Channel is the Redis pub/sub channel every gateway subscribes to.
const Channel = "chat:calls"

// Signal is one frame for some sockets: Event with Data, to every socket of
// Users and every socket of Sessions, except the sockets of Except
// (sessions). A socket matched twice gets it once.
type Signal struct {
	Users    []string        `json:"users,omitempty"`
	Sessions []string        `json:"sessions,omitempty"`
	Except   []string        `json:"except,omitempty"`
	Event    string          `json:"event"`
	Data     json.RawMessage `json:"data"`
}

// Encode returns the channel payload of s.
func (s Signal) Encode() ([]byte, error) { return json.Marshal(s) }

// Decode reads a channel payload.
func Decode(b []byte) (Signal, error) {
	var s Signal
	if err := json.Unmarshal(b, &s); err != nil {
		return s, err
	}
	if s.Event == "" || len(s.Data) == 0 {
		return s, errors.New("signal: no event or data")
	}
	return s, nil
}

// Server events of calls (socket protocol, ARCHITECTURE.md section 10).
const (
	EventIncoming = "call-incoming"
	EventAnswered = "call-answered"
	EventICE      = "call-ice"
	EventEnded    = "call-ended"
)
