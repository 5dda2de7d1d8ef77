package httpload

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection driven by one worker. The
// request is written with a single write and the response parsed in the
// same goroutine: net/http's Transport hands each request to two more
// goroutines, and on a 2-core machine shared with the servers those
// wake-ups cost the load tool about twice the CPU.
type conn struct {
	addr, host string
	c          net.Conn
	br         *bufio.Reader
	buf        []byte
}

func newConn(addr, host string) *conn {
	return &conn{addr: addr, host: host, buf: make([]byte, 0, 2048)}
}

// request is what a worker sends: method, path with query, body (POST)
// and its type ("" is JSON).
type request struct {
	method, path string
	body         []byte
	contentType  string
}

// do sends r with the token and reads the whole answer, returning its
// status and body size. A broken connection is redialled on the next call.
func (k *conn) do(r request, token string) (status int, size int64, err error) {
	if k.c == nil {
		c, err := net.DialTimeout("tcp", k.addr, 5*time.Second)
		if err != nil {
			return 0, 0, err
		}
		k.c, k.br = c, bufio.NewReaderSize(c, 32<<10)
	}
	b := append(k.buf[:0], r.method...)
	b = append(b, ' ')
	b = append(b, r.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, k.host...)
	b = append(b, "\r\nUser-Agent: chatforge-load\r\nAuthorization: Bearer "...)
	b = append(b, token...)
	if r.body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		b = append(b, "\r\nContent-Type: "...)
		b = append(b, ct...)
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(r.body)), 10)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, r.body...)
	k.buf = b
	_ = k.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := k.c.Write(b); err != nil {
		k.close()
		return 0, 0, err
	}
	resp, err := http.ReadResponse(k.br, nil)
	if err != nil {
		k.close()
		return 0, 0, err
	}
	size, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		k.close()
	}
	if err != nil {
		return resp.StatusCode, size, fmt.Errorf("reading the body: %w", err)
	}
	return resp.StatusCode, size, nil
}

func (k *conn) close() {
	if k.c != nil {
		k.c.Close()
		k.c = nil
	}
}
