// Package engineio is Engine.IO protocol v4 (EIO=4) for the gateway: the
// packet and payload codecs, and a server holding sessions over HTTP
// long-polling and websocket (melody), with the polling-to-websocket
// upgrade, server pings and the ping timeout. It knows nothing of
// Socket.IO or of chat: a Handler gets each session's messages.
//
// Spec: https://github.com/socketio/engine.io-protocol (v4).
package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
)

// Type is an Engine.IO packet type, as its ASCII digit on the wire.
type Type byte

// Packet types of Engine.IO v4.
const (
	Open    Type = '0'
	Close   Type = '1'
	Ping    Type = '2'
	Pong    Type = '3'
	Message Type = '4'
	Upgrade Type = '5'
	Noop    Type = '6'
)

// separator joins the packets of an HTTP long-polling payload.
const separator = 0x1e

// Packet is one Engine.IO packet. Binary is true for a binary message
// ('b' + base64 in polling, a binary frame on a websocket).
type Packet struct {
	Type   Type
	Data   []byte
	Binary bool
}

// ErrBadPacket is any packet or payload that is not Engine.IO v4.
var ErrBadPacket = errors.New("engineio: malformed packet")

// DecodeText parses one text packet: a websocket text frame or one segment
// of a polling payload ('b' + base64 is a binary message there).
func DecodeText(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, ErrBadPacket
	}
	if b[0] == 'b' {
		data := make([]byte, base64.StdEncoding.DecodedLen(len(b)-1))
		n, err := base64.StdEncoding.Decode(data, b[1:])
		if err != nil {
			return Packet{}, ErrBadPacket
		}
		return Packet{Type: Message, Data: data[:n], Binary: true}, nil
	}
	t := Type(b[0])
	if t < Open || t > Noop {
		return Packet{}, ErrBadPacket
	}
	return Packet{Type: t, Data: b[1:]}, nil
}

// DecodeBinary is a websocket binary frame: always a binary message.
func DecodeBinary(b []byte) Packet { return Packet{Type: Message, Data: b, Binary: true} }

// AppendText appends p in its text form (polling, or a websocket text
// frame when p is not binary).
func (p Packet) AppendText(b []byte) []byte {
	if p.Binary {
		b = append(b, 'b')
		return base64.StdEncoding.AppendEncode(b, p.Data)
	}
	b = append(b, byte(p.Type))
	return append(b, p.Data...)
}

// Text returns p's text form.
func (p Packet) Text() []byte { return p.AppendText(make([]byte, 0, len(p.Data)+1)) }

// DecodePayload splits a polling payload into its packets. A payload is
// never empty, and neither is any of its packets.
func DecodePayload(b []byte) ([]Packet, error) {
	if len(b) == 0 {
		return nil, ErrBadPacket
	}
	n := bytes.Count(b, []byte{separator}) + 1
	out := make([]Packet, 0, n)
	for seg := range bytes.SplitSeq(b, []byte{separator}) {
		p, err := DecodeText(seg)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// AppendPayload appends encoded packets joined by the record separator.
// Each element of texts is one packet in its text form.
func AppendPayload(b []byte, texts [][]byte) []byte {
	for i, t := range texts {
		if i > 0 {
			b = append(b, separator)
		}
		b = append(b, t...)
	}
	return b
}
