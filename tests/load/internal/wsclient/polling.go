package wsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Socket.IO over HTTP long-polling (Dialer.Polling): the Engine.IO
// handshake is a GET, then each client keeps one GET outstanding (the
// server answers it when packets are due, at most a ping interval later)
// and POSTs what it sends, one POST at a time (the server closes a session
// that overlaps two). Payloads are packets joined by the record separator.
// The clients of a Dialer share one pool of keep-alive connections,
// bounded by Dialer.MaxConns, so the load process holds about one
// connection per client (its pending GET) plus the POSTs in flight.

const recordSep = 0x1e

// pollLink is the polling transport of one Conn.
type pollLink struct {
	hc     *http.Client
	urls   []string // base URLs with EIO, transport and sid; requests rotate over them
	next   atomic.Uint32
	ctx    context.Context
	cancel context.CancelFunc
	wait   time.Duration // longest GET: ping interval + ping timeout + slack
	err    error         // why the loop ended; read after Conn.done
}

// httpClient returns the Dialer's shared pool, made on first use.
func (d *Dialer) httpClient() *http.Client {
	d.once.Do(func() {
		var n atomic.Uint64
		nd := &net.Dialer{Timeout: d.timeout()}
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			dd := *nd
			if d.SourceIPs > 0 {
				k := int(n.Add(1) % uint64(d.SourceIPs))
				dd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, byte(k/250), byte(2+k%250))}
			}
			return dd.DialContext(ctx, network, addr)
		}
		maxConns := d.MaxConns
		if maxConns <= 0 {
			maxConns = 1024
		}
		d.hc = &http.Client{Transport: &http.Transport{
			DialContext:         dial,
			MaxConnsPerHost:     maxConns,
			MaxIdleConns:        maxConns,
			MaxIdleConnsPerHost: maxConns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ReadBufferSize:      2048,
			WriteBufferSize:     1024,
		}}
	})
	return d.hc
}

// dialPolling opens a Socket.IO session over long-polling and waits for
// the ready frame; the poll loop then hands every later frame to h.
func (d *Dialer) dialPolling(ctx context.Context, id int, token string, h Handler) (*Conn, error) {
	base := pollURL(d.URL)
	if d.QueryToken {
		base += "&access_token=" + url.QueryEscape(token)
	}
	hc := d.httpClient()
	hctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	body, err := pollRequest(hctx, hc, http.MethodGet, base, nil)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if len(body) == 0 || body[0] != '0' {
		return nil, fmt.Errorf("dial: no Engine.IO open packet: %.80q", body)
	}
	var open struct {
		SID          string `json:"sid"`
		PingInterval int64  `json:"pingInterval"`
		PingTimeout  int64  `json:"pingTimeout"`
	}
	if err := json.Unmarshal(body[1:], &open); err != nil || open.SID == "" {
		return nil, fmt.Errorf("dial: bad open packet %.80q", body)
	}
	lctx, lcancel := context.WithCancel(context.Background())
	sid := "&sid=" + url.QueryEscape(open.SID)
	urls := []string{base + sid}
	for _, u := range d.SpreadURLs {
		if u != d.URL {
			urls = append(urls, pollURL(u)+sid)
		}
	}
	c := &Conn{ID: id, done: make(chan struct{}), sio: &sioState{refs: map[int64]string{}}, poll: &pollLink{
		hc: hc, urls: urls, ctx: lctx, cancel: lcancel,
		wait: time.Duration(open.PingInterval+open.PingTimeout)*time.Millisecond + 5*time.Second,
	}}
	connect := []byte("40")
	if !d.QueryToken {
		connect = append(connect, `{"token":`...)
		connect = strconv.AppendQuote(connect, token)
		connect = append(connect, '}')
	}
	if err := c.writeRaw(connect); err != nil {
		lcancel()
		return nil, fmt.Errorf("dial: CONNECT: %w", err)
	}
	ready := make(chan []byte, 1)
	go c.pollLoop(h, ready)
	t := time.NewTimer(d.timeout())
	defer t.Stop()
	select {
	case f := <-ready:
		if f != nil {
			c.Ready = f
			return c, nil
		}
		<-c.done
		err = c.poll.err
	case <-t.C:
		err = errors.New("timed out")
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.Close()
	return nil, fmt.Errorf("waiting for ready: %w", err)
}

// pollLoop keeps a GET outstanding until the session ends. Until the
// ready frame it answers ready (nil on failure, the reason in poll.err).
func (c *Conn) pollLoop(h Handler, ready chan<- []byte) {
	p := c.poll
	defer func() {
		if ready != nil {
			ready <- nil
		}
		if c.code == 0 {
			c.code = -1
		}
		p.cancel()
		close(c.done)
	}()
	for {
		ctx, cancel := context.WithTimeout(p.ctx, p.wait)
		body, err := pollRequest(ctx, p.hc, http.MethodGet, p.url(), nil)
		cancel()
		if err != nil {
			if p.ctx.Err() != nil && c.code == 0 {
				c.code = 1000 // closed by us
			}
			p.err = err
			return
		}
		at := time.Now()
		for pkt := range bytes.SplitSeq(body, []byte{recordSep}) {
			if len(pkt) == 1 && pkt[0] == '1' { // Engine.IO close: the transport ended
				if c.code == 0 {
					c.code = 1001
				}
				p.err = errors.New("closed by the server")
				return
			}
			if ready != nil {
				switch {
				case bytes.HasPrefix(pkt, []byte("44")):
					p.err = errors.New("connect_error: " + string(pkt[2:]))
					return
				case bytes.HasPrefix(pkt, []byte(`42["ready"`)):
					ready <- c.sioFrame(pkt)
					ready = nil
					continue
				}
			}
			f := c.sioFrame(pkt)
			if h != nil && f != nil && ready == nil {
				h(c, f, at)
			}
			if c.code != 0 { // a server DISCONNECT
				p.err = errors.New("disconnected by the server")
				return
			}
		}
	}
}

// post sends one payload (callers hold wmu: one POST at a time).
func (p *pollLink) post(b []byte) error {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	_, err := pollRequest(ctx, p.hc, http.MethodPost, p.url(), b)
	return err
}

// url is the next request's URL: always the session's gateway, or each
// gateway in turn with Dialer.SpreadURLs (a round-robin balancer).
func (p *pollLink) url() string {
	if len(p.urls) == 1 {
		return p.urls[0]
	}
	return p.urls[int(p.next.Add(1))%len(p.urls)]
}

// pollURL is the polling URL of a /socket.io/ URL given as ws:// or http://.
func pollURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "ws"); ok { // ws:// -> http://, wss:// -> https://
		u = "http" + rest
	}
	return u + "?EIO=4&transport=polling"
}

// pollRequest does one Engine.IO HTTP request and returns the body of a
// 200 answer; the body is always read to the end so the connection goes
// back to the pool.
func pollRequest(ctx context.Context, hc *http.Client, method, u string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.80s", res.StatusCode, b)
	}
	return b, nil
}
