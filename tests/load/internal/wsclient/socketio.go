package wsclient

import (
	"bytes"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Socket.IO mode (Dialer.SocketIO): the same v1 frames, carried as
// Socket.IO v5 packets over an Engine.IO v4 websocket at /socket.io/, so
// the workloads run unchanged against the gateway's Socket.IO endpoint.
// Outgoing envelopes become EVENT packets (the ref, a string, is mapped to
// a numeric ack id); EVENT and ACK packets received are turned back into
// v1 frames for the handler; Engine.IO pings are answered. The translation
// costs the load process a copy per frame, not the gateway.

// sioState is a Socket.IO connection's ack-id map.
type sioState struct {
	mu   sync.Mutex
	next int64
	refs map[int64]string
}

func (s *sioState) ackID(ref string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next
	s.next++
	s.refs[id] = ref
	return id
}

func (s *sioState) ref(id int64) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refs[id]
	delete(s.refs, id)
	return r, ok
}

// sioHandshake runs the Engine.IO open and the Socket.IO CONNECT (the
// token in auth unless it went in the URL or a header) and returns the
// ready frame as v1.
func (c *Conn) sioHandshake(token string, inAuth bool, timeout time.Duration) ([]byte, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(timeout))
	_, open, err := c.ws.ReadMessage()
	if err != nil || len(open) == 0 || open[0] != '0' {
		return nil, errors.New("no Engine.IO open packet")
	}
	connect := []byte("40")
	if inAuth {
		connect = append(connect, `{"token":`...)
		connect = strconv.AppendQuote(connect, token)
		connect = append(connect, '}')
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, connect); err != nil {
		return nil, err
	}
	for {
		_, p, err := c.ws.ReadMessage()
		if err != nil {
			return nil, err
		}
		switch {
		case bytes.HasPrefix(p, []byte("44")):
			return nil, errors.New("connect_error: " + string(p[2:]))
		case bytes.HasPrefix(p, []byte("40")):
			continue
		}
		if f := c.sioFrame(p); f != nil {
			return f, nil
		}
	}
}

// sioPacket encodes a v1 request as an EVENT packet: 42<id>["event",data].
func (c *Conn) sioPacket(event, ref string, data []byte) []byte {
	b := make([]byte, 0, 32+len(event)+len(data))
	b = append(b, "42"...)
	if ref != "" {
		b = strconv.AppendInt(b, c.sio.ackID(ref), 10)
	}
	b = append(b, `["`...)
	b = append(b, event...)
	b = append(b, '"')
	if data != nil {
		b = append(b, ',')
		b = append(b, data...)
	}
	return append(b, ']')
}

// sioFrame turns a received Engine.IO packet into a v1 frame, or nil (a
// ping, answered here, or anything the workloads do not use).
func (c *Conn) sioFrame(p []byte) []byte {
	switch {
	case len(p) == 1 && p[0] == '2':
		_ = c.writeRaw([]byte("3"))
		return nil
	case bytes.HasPrefix(p, []byte(`42["`)):
		// 42["event",data]
		rest := p[4:]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			return nil
		}
		event, data := rest[:end], bytes.TrimSuffix(bytes.TrimPrefix(rest[end+1:], []byte(",")), []byte("]"))
		return frame(string(event), "", data)
	case bytes.HasPrefix(p, []byte("43")):
		// 43<id>[data] or 43<id>[{"error":E}]
		i := 2
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		id, err := strconv.ParseInt(string(p[2:i]), 10, 64)
		if err != nil || i >= len(p) || p[i] != '[' {
			return nil
		}
		ref, ok := c.sio.ref(id)
		if !ok {
			return nil
		}
		data := bytes.TrimSuffix(p[i+1:], []byte("]"))
		if e, found := bytes.CutPrefix(data, []byte(`{"error":`)); found {
			return frame("error", ref, bytes.TrimSuffix(e, []byte("}")))
		}
		return frame("ack", ref, data)
	case bytes.HasPrefix(p, []byte("41")), len(p) == 1 && p[0] == '1':
		c.code = 4001 // a server DISCONNECT: the workloads count it as a close
		if c.ws != nil {
			_ = c.ws.Close()
		}
	}
	return nil
}

func frame(event, ref string, data []byte) []byte {
	b := make([]byte, 0, 40+len(event)+len(ref)+len(data))
	b = append(b, `{"event":"`...)
	b = append(b, event...)
	b = append(b, '"')
	if ref != "" {
		b = append(b, `,"ref":"`...)
		b = append(b, ref...)
		b = append(b, '"')
	}
	if len(data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}')
}
