// Package socketio is the Socket.IO protocol v5 packet codec, carried in
// Engine.IO messages: CONNECT, DISCONNECT, EVENT, ACK and CONNECT_ERROR,
// with namespace, ack id and JSON payload. Binary packets (BINARY_EVENT,
// BINARY_ACK) are decoded only far enough to be refused: the gateway's
// events are JSON. It does no I/O.
//
// Spec: https://github.com/socketio/socket.io-protocol (v5).
package socketio

import (
	"encoding/json"
	"errors"
	"strconv"
)

// Type is a Socket.IO packet type.
type Type byte

// Packet types of Socket.IO v5.
const (
	Connect Type = iota
	Disconnect
	Event
	Ack
	ConnectError
	BinaryEvent
	BinaryAck
)

// DefaultNamespace is the only namespace the gateway serves.
const DefaultNamespace = "/"

// maxAckID bounds the ack id (the reference client counts from 0 up).
const maxAckID = 1<<53 - 1

// Packet is one Socket.IO packet. ID is the ack id, or -1 for none; Data is
// the raw JSON payload (nil when absent).
type Packet struct {
	Type        Type
	Namespace   string
	ID          int64
	Attachments int
	Data        json.RawMessage
}

// ErrBadPacket is any packet that is not Socket.IO v5.
var ErrBadPacket = errors.New("socketio: malformed packet")

// Decode parses one packet (the data of an Engine.IO text message):
// <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]. The
// payload's shape is checked against the type: an object (or nothing) for
// CONNECT, an object for CONNECT_ERROR, nothing for DISCONNECT, an array
// whose first element is the event name for EVENT, an array for ACK.
func Decode(b []byte) (Packet, error) {
	p := Packet{ID: -1, Namespace: DefaultNamespace}
	if len(b) == 0 || b[0] < '0' || b[0] > '6' {
		return p, ErrBadPacket
	}
	p.Type = Type(b[0] - '0')
	i := 1
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i || j >= len(b) || b[j] != '-' || j-i > 6 {
			return p, ErrBadPacket
		}
		p.Attachments, _ = strconv.Atoi(string(b[i:j]))
		i = j + 1
	}
	if i < len(b) && b[i] == '/' {
		j := i
		for j < len(b) && b[j] != ',' {
			j++
		}
		p.Namespace = string(b[i:j])
		if j < len(b) {
			j++ // the comma
		}
		i = j
	}
	if i < len(b) && b[i] >= '0' && b[i] <= '9' {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		id, err := strconv.ParseInt(string(b[i:j]), 10, 64)
		if err != nil || id > maxAckID {
			return p, ErrBadPacket
		}
		p.ID, i = id, j
	}
	if i < len(b) {
		p.Data = json.RawMessage(b[i:])
		if !json.Valid(p.Data) {
			return p, ErrBadPacket
		}
	}
	if !shapeOK(p) {
		return p, ErrBadPacket
	}
	return p, nil
}

func shapeOK(p Packet) bool {
	first := byte(0)
	if len(p.Data) > 0 {
		first = p.Data[0]
	}
	switch p.Type {
	case Connect:
		return first == 0 || first == '{'
	case Disconnect:
		return first == 0
	case ConnectError:
		return first == '{'
	case Event, BinaryEvent:
		if first != '[' {
			return false
		}
		var head []json.RawMessage
		if json.Unmarshal(p.Data, &head) != nil || len(head) == 0 || len(head[0]) == 0 || head[0][0] != '"' {
			return false
		}
		return true
	case Ack, BinaryAck:
		return first == '[' && p.ID >= 0
	}
	return false
}

// Append appends p's encoding (attachments are never encoded: the gateway
// sends no binary packets).
func (p Packet) Append(b []byte) []byte {
	b = append(b, '0'+byte(p.Type))
	if p.Namespace != "" && p.Namespace != DefaultNamespace {
		b = append(b, p.Namespace...)
		b = append(b, ',')
	}
	if p.ID >= 0 {
		b = strconv.AppendInt(b, p.ID, 10)
	}
	return append(b, p.Data...)
}

// EventName returns the name of an EVENT packet (its payload's first
// element) and the raw arguments after it.
func EventName(p Packet) (name string, args []json.RawMessage, err error) {
	var all []json.RawMessage
	if err := json.Unmarshal(p.Data, &all); err != nil || len(all) == 0 {
		return "", nil, ErrBadPacket
	}
	if err := json.Unmarshal(all[0], &name); err != nil {
		return "", nil, ErrBadPacket
	}
	return name, all[1:], nil
}
