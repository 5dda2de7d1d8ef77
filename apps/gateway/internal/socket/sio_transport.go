package socket

import (
	"encoding/json"
	"strconv"
	"sync/atomic"

	"github.com/chatforge/chat/apps/gateway/internal/engineio"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/apps/gateway/internal/socketio"
)

// sioTransport is a Socket.IO client's transport: v1 frames out become
// Socket.IO packets on its Engine.IO session.
type sioTransport struct {
	sc *sioConn
}

// Write translates one v1 frame: {"event":"ack","ref":N,"data":D} is the
// ACK of N with [D]; {"event":"error","ref":N,"data":E} the ACK of N with
// [{"error":E}]; any other frame (an error without ref included) the
// EVENT [event, data].
func (t *sioTransport) Write(frame []byte) error {
	return t.sc.sess.SendText(t.sc.g.sioTexts.text(frame))
}

// sioTexts remembers the Engine.IO text of the last frame translated. A
// fan-out writes one frame (the same slice) to every socket of a room:
// translated once instead of once per Socket.IO socket, a delivery costs
// no JSON decoding and no allocation. The entry keeps its frame alive, so
// no other frame can be at that address while it is cached; frames are
// never modified once written. Safe for concurrent use (fan-out runs on
// several goroutines: they may only replace each other's entry).
type sioTexts struct{ last atomic.Pointer[sioText] }

type sioText struct{ frame, text []byte }

func (c *sioTexts) text(frame []byte) []byte {
	if len(frame) == 0 {
		return engineio.MessageText(sioPacket(frame))
	}
	if e := c.last.Load(); e != nil && len(e.frame) == len(frame) && &e.frame[0] == &frame[0] {
		return e.text
	}
	text := engineio.MessageText(sioPacket(frame))
	c.last.Store(&sioText{frame: frame, text: text})
	return text
}

func sioPacket(frame []byte) []byte {
	var env struct {
		Event string          `json:"event"`
		Ref   json.RawMessage `json:"ref"`
		Data  json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(frame, &env) // our own frames: valid
	if id, err := strconv.ParseInt(string(env.Ref), 10, 64); err == nil && len(env.Ref) > 0 {
		b := make([]byte, 0, len(env.Data)+32)
		b = append(b, '0'+byte(socketio.Ack))
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '[')
		if env.Event == protocol.EventError {
			b = append(b, `{"error":`...)
			b = append(b, env.Data...)
			b = append(b, '}')
		} else {
			b = append(b, dataOrNull(env.Data)...)
		}
		return append(b, ']')
	}
	b := make([]byte, 0, len(env.Event)+len(env.Data)+8)
	b = append(b, '0'+byte(socketio.Event), '[')
	name, _ := json.Marshal(env.Event)
	b = append(b, name...)
	if len(env.Data) > 0 {
		b = append(b, ',')
		b = append(b, env.Data...)
	}
	return append(b, ']')
}

// errorEventArgs is the payload of the error event ["error", data].
func errorEventArgs(data []byte) []byte {
	b := append(make([]byte, 0, len(data)+12), `["error",`...)
	b = append(b, data...)
	return append(b, ']')
}

func dataOrNull(d json.RawMessage) []byte {
	if len(d) == 0 {
		return []byte("null")
	}
	return d
}

// Close ends the connection as the v1 close code says, in Socket.IO's
// terms: going away (1001: drain, out of sync) and internal errors close
// the transport, and socket.io-client reconnects by itself; a revoked or
// expired session (4001) and a policy violation (4008) get an error event
// {code, message} and a server DISCONNECT, after which the client does not
// reconnect.
func (t *sioTransport) Close(code int, reason string) {
	if c := sioCloseCode(code, reason); c != "" {
		data, _ := json.Marshal(struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{c, reason})
		t.sc.sendDirect(socketio.Packet{Type: socketio.Event, ID: -1, Data: errorEventArgs(data)})
		t.sc.sendDirect(socketio.Packet{Type: socketio.Disconnect, ID: -1})
	}
	t.sc.sess.Close()
}

// sioCloseCode is the error event's code for a v1 close code, or "" when
// the transport is just closed (the client reconnects).
func sioCloseCode(code int, reason string) string {
	switch code {
	case protocol.CloseUnauthorized:
		if reason == "token expired" {
			return "token_expired"
		}
		return "session_revoked"
	case protocol.ClosePolicyViolation:
		return "policy_violation"
	}
	return ""
}

// Kill drops the session at once.
func (t *sioTransport) Kill() { t.sc.sess.Kill() }
