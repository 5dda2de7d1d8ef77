//go:build !(linux && (amd64 || arm64))

package wsclient

import (
	"net"
	"time"
)

// withRxStamps: kernel receive times are read on 64-bit Linux only;
// elsewhere frames are stamped when read.
func withRxStamps(c net.Conn) net.Conn { return c }

type rxConn struct{ net.Conn }

func (c *rxConn) rxTime() time.Time { return time.Time{} }
