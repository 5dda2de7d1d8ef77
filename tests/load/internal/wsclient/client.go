// Package wsclient is a lean client of the gateway's socket protocol v1 for
// load generation: it dials from many 127.0.0.x source addresses (one
// address has ~28k ephemeral ports; 100k sockets need several), waits for
// `ready`, writes envelopes built by appending bytes, and hands every
// received frame to a callback on the connection's reader goroutine.
//
// Memory per connection matters here (a load process holds ~15k of them):
// write buffers come from a shared pool and are held only while writing,
// read buffers are small, and frames are read into pooled scratch space.
package wsclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Handler receives the frames of a connection, one at a time, on its
// reader goroutine. frame is only valid during the call.
type Handler func(c *Conn, frame []byte, at time.Time)

// Dialer opens connections. The zero value is not usable: set URL.
type Dialer struct {
	URL              string // ws://host:port/ws
	SourceIPs        int    // spread over 127.0.0.2..127.0.0.(1+SourceIPs); 0: the kernel's choice
	QueryToken       bool   // ?access_token= instead of the Authorization header
	HandshakeTimeout time.Duration
	// SocketIO: URL is the gateway's /socket.io/ websocket URL and the
	// frames travel as Socket.IO packets (socketio.go); the token goes in
	// the CONNECT's auth unless QueryToken.
	SocketIO bool
	// Polling (with SocketIO): Engine.IO's HTTP long-polling transport
	// instead of websocket (polling.go); URL stays the ws:// or http://
	// /socket.io/ URL. MaxConns bounds the Dialer's pool of HTTP
	// connections (default 1024; give at least one per client).
	Polling  bool
	MaxConns int
	// SpreadURLs (polling): after the handshake at URL, the session's
	// requests rotate over these gateways' /socket.io/ URLs too, as behind
	// a round-robin balancer with no sticky sessions.
	SpreadURLs []string
	// ReadTime: frames are stamped when the reader goroutine has them,
	// not with the kernel's receive time (websocket, 64-bit Linux; see
	// rxConn), which leaves this tool's own scheduling out of latencies.
	ReadTime bool

	once sync.Once
	hc   *http.Client
}

var writePool sync.Pool // shared by every connection: gorilla takes a buffer per write

var framePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Conn is one socket. Send may be called from one goroutine at a time
// (gorilla's rule); Close from any.
type Conn struct {
	ID     int
	ws     *websocket.Conn
	rx     *rxConn // nil: frames are stamped when read
	wmu    sync.Mutex
	done   chan struct{}
	code   int // close code, set before done is closed; -1: dropped without one
	Ready  []byte
	closed sync.Once
	sio    *sioState // Socket.IO mode only
	poll   *pollLink // Socket.IO over long-polling only (ws is nil)
}

// Dial connects client id with token and waits for the `ready` frame; h
// then gets every later frame. The HTTP status of a refused upgrade is in
// the error.
func (d *Dialer) Dial(ctx context.Context, id int, token string, h Handler) (*Conn, error) {
	if d.SocketIO && d.Polling {
		return d.dialPolling(ctx, id, token, h)
	}
	u := d.URL
	hdr := http.Header{}
	sep := "?"
	if d.SocketIO {
		u += "?EIO=4&transport=websocket"
		sep = "&"
	}
	switch {
	case d.QueryToken:
		u += sep + "access_token=" + url.QueryEscape(token)
	case !d.SocketIO:
		hdr.Set("Authorization", "Bearer "+token)
	}
	nd := &net.Dialer{Timeout: d.timeout()}
	if d.SourceIPs > 0 {
		k := id % d.SourceIPs // 127.0.0.2..127.0.0.251, then 127.0.1.2.., all on lo
		nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, byte(k/250), byte(2+k%250))}
	}
	dial := nd.DialContext
	var rx *rxConn
	if !d.ReadTime {
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			c = withRxStamps(c)
			rx, _ = c.(*rxConn)
			return c, nil
		}
	}
	wd := websocket.Dialer{
		NetDialContext:   dial,
		HandshakeTimeout: d.timeout(),
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		WriteBufferPool:  &writePool,
	}
	ws, resp, err := wd.DialContext(ctx, u, hdr)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: HTTP %d: %w", resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	c := &Conn{ID: id, ws: ws, rx: rx, done: make(chan struct{})}
	_ = ws.SetReadDeadline(time.Now().Add(d.timeout()))
	var first []byte
	if d.SocketIO {
		c.sio = &sioState{refs: map[int64]string{}}
		first, err = c.sioHandshake(token, !d.QueryToken, d.timeout())
	} else {
		_, first, err = ws.ReadMessage()
	}
	if err != nil || !bytes.HasPrefix(first, []byte(`{"event":"ready"`)) {
		ws.Close()
		if err == nil {
			// Protocol v1 promises ready first; anything else is a bug.
			err = fmt.Errorf("first frame is %q, not ready", Event(first))
		}
		return nil, fmt.Errorf("waiting for ready: %w", err)
	}
	c.Ready = first
	_ = ws.SetReadDeadline(time.Time{})
	go c.read(h)
	return c, nil
}

func (d *Dialer) timeout() time.Duration {
	if d.HandshakeTimeout > 0 {
		return d.HandshakeTimeout
	}
	return 10 * time.Second
}

func (c *Conn) read(h Handler) {
	defer close(c.done)
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			if c.code != 0 {
				return // a Socket.IO DISCONNECT set it (sioFrame)
			}
			c.code = -1
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.code = ce.Code
			}
			return
		}
		buf := framePool.Get().(*bytes.Buffer)
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil && !errors.Is(err, io.EOF) {
			framePool.Put(buf)
			continue // the next NextReader reports the broken connection
		}
		f := buf.Bytes()
		if c.sio != nil {
			f = c.sioFrame(f)
		}
		if h != nil && f != nil {
			h(c, f, c.receivedAt())
		}
		framePool.Put(buf)
	}
}

// receivedAt is when the frame just read arrived: the kernel's receive
// time when the socket gives it, else now.
func (c *Conn) receivedAt() time.Time {
	now := time.Now()
	if c.rx != nil {
		if at := c.rx.rxTime(); !at.IsZero() && !at.After(now) {
			return at
		}
	}
	return now
}

// Send writes {"event":event,"ref":"ref","data":data}; ref "" is omitted.
// data must be a JSON object (or nil).
func (c *Conn) Send(event, ref string, data []byte) error {
	if c.sio != nil {
		return c.writeRaw(c.sioPacket(event, ref, data))
	}
	b := make([]byte, 0, 48+len(ref)+len(data))
	b = append(b, `{"event":"`...)
	b = append(b, event...)
	b = append(b, '"')
	if ref != "" {
		b = append(b, `,"ref":"`...)
		b = append(b, ref...)
		b = append(b, '"')
	}
	if data != nil {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	b = append(b, '}')
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// writeRaw writes one message (a Socket.IO packet) on the transport.
func (c *Conn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.poll != nil {
		return c.poll.post(b)
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// CloseCode is the server's close code once Done is closed (-1: the
// connection dropped without a close frame).
func (c *Conn) CloseCode() int {
	<-c.done
	return c.code
}

// Close says goodbye (1000) and closes the socket.
func (c *Conn) Close() {
	c.closed.Do(func() {
		if c.poll != nil {
			// Engine.IO close, so the gateway frees the session now
			// rather than at the ping timeout; then stop the GET loop.
			_ = c.writeRaw([]byte("1"))
			c.poll.cancel()
			return
		}
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(time.Second))
		_ = c.ws.Close()
	})
}
