//go:build linux && (amd64 || arm64)

package wsclient

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// rxConn reads with recvmsg and keeps the kernel's receive time of what
// it read (SO_TIMESTAMPNS: the time the last segment read reached the
// socket). A load tool stamping frames with time.Now() after its reader
// goroutine got to run adds its own scheduling delay to every latency;
// the kernel's stamp does not. For frames gorilla buffered from one read
// the stamp is that of the read's last segment: never earlier than the
// frame's arrival.
type rxConn struct {
	net.Conn
	rc   syscall.RawConn
	last atomic.Int64 // unix ns of the last stamped read; 0: none yet
}

// withRxStamps turns on receive timestamps for c; it returns c unchanged
// if the socket does not take them.
func withRxStamps(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return c
	}
	return &rxConn{Conn: c, rc: rc}
}

// recv is one recvmsg through RawConn.Read; do is its bound method, made
// once per pooled recv (a closure per read would allocate).
type recv struct {
	p   []byte
	oob [64]byte
	n   int
	oon int
	err error
	do  func(fd uintptr) bool
}

var recvPool = sync.Pool{New: func() any {
	r := &recv{}
	r.do = r.read
	return r
}}

func (r *recv) read(fd uintptr) bool {
	for {
		r.n, r.oon, _, _, r.err = syscall.Recvmsg(int(fd), r.p, r.oob[:], 0)
		if r.err != syscall.EINTR {
			return r.err != syscall.EAGAIN // EAGAIN: wait until readable
		}
	}
}

func (c *rxConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r := recvPool.Get().(*recv)
	defer func() {
		r.p, r.err = nil, nil
		recvPool.Put(r)
	}()
	r.p = p
	if err := c.rc.Read(r.do); err != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: err}
	}
	if r.err != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: r.err}
	}
	if r.n == 0 {
		return 0, io.EOF
	}
	if ns, ok := stampOf(r.oob[:r.oon]); ok {
		c.last.Store(ns)
	}
	return r.n, nil
}

// rxTime is the kernel's receive time of the last read (zero: unknown).
func (c *rxConn) rxTime() time.Time {
	if ns := c.last.Load(); ns > 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// stampOf finds SCM_TIMESTAMPNS (a struct timespec) in control messages.
func stampOf(oob []byte) (int64, bool) {
	const hdr = 16 // struct cmsghdr on 64-bit Linux: len uint64, level, type int32
	for len(oob) >= hdr {
		l := int(binary.NativeEndian.Uint64(oob))
		level, typ := int32(binary.NativeEndian.Uint32(oob[8:])), int32(binary.NativeEndian.Uint32(oob[12:]))
		if l < hdr || l > len(oob) {
			return 0, false
		}
		if level == syscall.SOL_SOCKET && typ == syscall.SCM_TIMESTAMPNS && l >= hdr+16 {
			d := oob[hdr:]
			sec := int64(binary.NativeEndian.Uint64(d))
			nsec := int64(binary.NativeEndian.Uint64(d[8:]))
			return sec*1e9 + nsec, true
		}
		oob = oob[cmsgAlign(l):]
	}
	return 0, false
}

func cmsgAlign(n int) int {
	const a = 8 // sizeof(long) on 64-bit Linux
	return (n + a - 1) &^ (a - 1)
}
