package wsout

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// recConn records each Write as one syscall would.
type recConn struct {
	net.Conn
	writes    [][]byte
	deadlines []time.Time // the write deadline in force at each write
	deadline  time.Time
}

func (r *recConn) SetWriteDeadline(t time.Time) error {
	r.deadline = t
	return nil
}

func (r *recConn) Write(p []byte) (int, error) {
	r.writes = append(r.writes, append([]byte(nil), p...))
	r.deadlines = append(r.deadlines, r.deadline)
	return len(p), nil
}

func textFrame(payload string) []byte {
	if len(payload) < 126 {
		return append([]byte{0x81, byte(len(payload))}, payload...)
	}
	return append([]byte{0x81, 126, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

// Frames with more queued behind them go out in one write with the last
// one; control frames flush what is held; bytes keep their order.
func TestConnCoalesces(t *testing.T) {
	t.Parallel()
	rec := &recConn{}
	queued := 3
	c := &Conn{Conn: rec, More: func() bool { return queued > 1 }}
	var want []byte
	write := func(p []byte) {
		t.Helper()
		if n, err := c.Write(p); err != nil || n != len(p) {
			t.Fatalf("Write = %d, %v", n, err)
		}
		want = append(want, p...)
	}
	write(textFrame("a"))
	queued--
	write(textFrame("b"))
	queued--
	if len(rec.writes) != 0 {
		t.Fatalf("held frames were written: %d writes", len(rec.writes))
	}
	write(textFrame("c")) // the last queued: flushes all three
	if len(rec.writes) != 1 {
		t.Fatalf("%d writes, want 1", len(rec.writes))
	}

	queued = 2
	write(textFrame("d"))
	write([]byte{0x89, 0}) // a ping flushes
	if len(rec.writes) != 2 {
		t.Fatalf("%d writes, want 2", len(rec.writes))
	}

	// A frame written in two parts (header and start, then the rest of
	// the payload) goes out once, even with nothing queued behind it.
	queued = 1
	big := textFrame(strings.Repeat("x", 300))
	write(big[:100])
	write(big[100:])
	if len(rec.writes) != 3 {
		t.Fatalf("%d writes, want 3", len(rec.writes))
	}
	if got := bytes.Join(rec.writes, nil); !bytes.Equal(got, want) {
		t.Errorf("bytes on the wire differ from the bytes written")
	}
}

var (
	closeTooBig = []byte{0x88, 0x02, 0x03, 0xF1}
	closePolicy = []byte{0x88, 0x02, 0x0F, 0xA8}
)

// A control frame goes through Rewrite and flushes what is held before it.
func TestConnRewritesCloseAfterHeldFrames(t *testing.T) {
	t.Parallel()
	rec := &recConn{}
	c := &Conn{Conn: rec, More: func() bool { return true }, Rewrite: func(p []byte) []byte {
		if bytes.Equal(p, closeTooBig) {
			return closePolicy
		}
		return p
	}}
	frame := textFrame("held")
	_, _ = c.Write(frame)
	if n, err := c.Write(closeTooBig); err != nil || n != len(closeTooBig) {
		t.Fatalf("Write(close) = %d, %v", n, err)
	}
	if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], append(append([]byte(nil), frame...), closePolicy...)) {
		t.Errorf("writes = %q", rec.writes)
	}
}

// The handshake answer (not a frame) is written at once.
func TestConnWritesHandshakeAtOnce(t *testing.T) {
	t.Parallel()
	rec := &recConn{}
	c := &Conn{Conn: rec, More: func() bool { return true }}
	_, _ = c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\n\r\n"))
	if len(rec.writes) != 1 {
		t.Errorf("%d writes, want 1", len(rec.writes))
	}
}

// The write deadline set last before a write goes out is the one in force
// for it; held frames set none.
func TestConnAppliesLatestDeadline(t *testing.T) {
	t.Parallel()
	rec := &recConn{}
	queued := 2
	c := &Conn{Conn: rec, More: func() bool { return queued > 1 }}
	t0 := time.Unix(1000, 0)
	_ = c.SetWriteDeadline(t0)
	_, _ = c.Write(textFrame("a"))
	queued--
	_ = c.SetWriteDeadline(t0.Add(time.Second))
	_, _ = c.Write(textFrame("b"))
	if len(rec.writes) != 1 || !rec.deadlines[0].Equal(t0.Add(time.Second)) {
		t.Errorf("writes %d, deadlines %v", len(rec.writes), rec.deadlines)
	}
}

// tcpPair is a connected loopback TCP pair: the server side (what the
// gateway writes to) and the client side.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// WriteNow writes a whole text frame at once; it declines while frames
// are held or a frame written through Write is unfinished, so bytes keep
// their order.
func TestConnWriteNow(t *testing.T) {
	t.Parallel()
	server, client := tcpPair(t)
	queued := 2
	c := &Conn{Conn: server, More: func() bool { return queued > 1 }}
	// A passed deadline of an earlier write does not refuse it.
	_ = c.SetWriteDeadline(time.Now().Add(time.Millisecond))
	if _, err := c.Write(textFrame("a")); err != nil { // held
		t.Fatal(err)
	}
	if c.WriteNow([]byte("b")) {
		t.Fatal("WriteNow wrote past a held frame")
	}
	queued--
	if _, err := c.Write(textFrame("b")); err != nil { // flushes a, b
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // the deadline applied for a, b passes
	if !c.WriteNow([]byte("c")) || !c.WriteNow([]byte(strings.Repeat("d", 300))) {
		t.Fatal("WriteNow declined on an idle socket")
	}
	want := bytes.Join([][]byte{textFrame("a"), textFrame("b"), textFrame("c"), textFrame(strings.Repeat("d", 300))}, nil)
	got := make([]byte, len(want))
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %q, %v; want %q", got, err, want)
	}
}

// A client that does not read: WriteNow never blocks; a frame the socket
// takes in part is finished by a goroutine once the client reads, before
// any later write, and a full socket takes nothing (WriteNow declines).
func TestConnWriteNowSlowClient(t *testing.T) {
	t.Parallel()
	server, client := tcpPair(t)
	c := &Conn{Conn: server}
	payload := bytes.Repeat([]byte("x"), 60<<10)
	var want []byte
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("the socket never filled")
		}
		if !c.WriteNow(payload) {
			break
		}
		want = append(want, textFrame2(payload)...)
	}
	want = append(want, textFrame("after")...)
	read := make(chan error, 1)
	got := make([]byte, len(want))
	go func() {
		_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.ReadFull(client, got)
		read <- err
	}()
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(textFrame("after")); err != nil { // after the rest WriteNow left
		t.Fatal(err)
	}
	if err := <-read; err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes (%v); stream differs: %v", len(got), err, !bytes.Equal(got, want))
	}
}

func textFrame2(payload []byte) []byte {
	return append(appendTextHeader(nil, len(payload)), payload...)
}
