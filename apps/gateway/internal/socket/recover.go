package socket

import (
	"fmt"
	"runtime/debug"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

// Melody runs the connect, message and error callbacks on a socket's reader
// goroutine, inside HandleRequestWithKeys, and tears the session down
// (unregisters it, then runs the disconnect callback) only once its read
// loop returns. A panic unwinding through melody skips that teardown: the
// socket would stay in the hub with its presence lease, and in the
// connection gauge. So each callback recovers its own panic and ends the
// socket the way any other failure does: the socket closes, melody's read
// fails, and the teardown runs as usual. runSocket's recover is left for a
// panic in melody itself or in the disconnect callback.

// recoverCallback is deferred by the callbacks that run once the socket is
// connected (frames, errors, sent frames): a panic is logged and the socket
// closed with 1011 after the frames already queued.
func (g *Gateway) recoverCallback(s *melody.Session, callback string) {
	rec := recover()
	if rec == nil {
		return
	}
	g.Log.Error("panic recovered in a socket callback", "callback", callback, "panic", rec, "stack", string(debug.Stack()))
	if cl := g.clientOf(s); cl != nil && cl.sess != nil {
		cl.Close(websocket.CloseInternalServerErr, "internal error")
		return
	}
	_ = s.CloseWithMsg(melody.FormatCloseMessage(websocket.CloseInternalServerErr, "internal error"))
}

// recoverConnect is deferred by the connect callback. The connect did not
// complete, so the socket is cut (the client may not have its ready) and
// serveWS, waiting for the handoff, gets the panic as the connect's error.
func (g *Gateway) recoverConnect(s *melody.Session) {
	rec := recover()
	if rec == nil {
		return
	}
	g.Log.Error("panic recovered in a socket callback", "callback", "connect", "panic", rec, "stack", string(debug.Stack()))
	cl := g.clientOf(s)
	if cl == nil {
		_ = s.Close()
		return
	}
	// The connection was hijacked before melody called onConnect: raw is set.
	cl.Kill()
	if !cl.handedOff {
		cl.handedOff = true
		cl.handoff <- fmt.Errorf("socket: panic during the connect: %v", rec)
	} else if cl.settled != nil {
		// serveWS is finishing the connect: the teardown must not race it.
		<-cl.settled
	}
}
