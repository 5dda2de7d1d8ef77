package engineio

import (
	"io"
	"net/http"
)

// poll answers a GET with what is queued, waiting until something is:
// the heartbeat queues a ping every PingInterval, so a GET is held at
// most that long. A second GET at once is a protocol error (and closes
// the session, as the reference server does).
func (sess *Session) poll(w http.ResponseWriter, r *http.Request) {
	sess.mu.Lock()
	if sess.ws != nil { // upgraded: polling is over (the session stays)
		sess.mu.Unlock()
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	if sess.polling {
		sess.mu.Unlock()
		writeError(w, http.StatusBadRequest, errBadRequest)
		sess.end("transport error", false)
		return
	}
	sess.polling = true
	for len(sess.queue) == 0 && !sess.closed {
		sess.mu.Unlock()
		select {
		case <-sess.wake:
		case <-sess.done:
		case <-r.Context().Done():
			sess.mu.Lock()
			sess.polling = false
			sess.mu.Unlock()
			return
		}
		sess.mu.Lock()
	}
	batch, n := sess.queue, sess.queued
	sess.queue, sess.queued = nil, 0
	sess.polling = false
	closed := sess.closed
	sess.mu.Unlock()
	if closed && len(batch) == 0 {
		// The close packet goes alone, after what was queued: the
		// reference client handles the packets of a payload on a later
		// tick but a close packet at once, so in one payload the close
		// would overtake them (e.g. an error event and a DISCONNECT).
		sess.srv.remove(sess)
		batch = [][]byte{Packet{Type: Close}.Text()}
	}

	body := AppendPayload(make([]byte, 0, 256), batch)
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	_, _ = w.Write(body)
	if n > 0 {
		sess.srv.h.OnSent(sess, n)
	}
}

// post reads a payload of packets from the client and handles them in
// order before answering "ok". A body beyond MaxPayload closes the session.
func (sess *Session) post(w http.ResponseWriter, r *http.Request) {
	sess.mu.Lock()
	if sess.ws != nil { // upgraded: polling is over (the session stays)
		sess.mu.Unlock()
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	if sess.posting {
		sess.mu.Unlock()
		writeError(w, http.StatusBadRequest, errBadRequest)
		sess.end("transport error", false)
		return
	}
	sess.posting = true
	sess.mu.Unlock()
	defer func() {
		sess.mu.Lock()
		sess.posting = false
		sess.mu.Unlock()
	}()

	body, err := io.ReadAll(io.LimitReader(r.Body, int64(sess.srv.cfg.MaxPayload)+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	if len(body) > sess.srv.cfg.MaxPayload {
		writeError(w, http.StatusRequestEntityTooLarge, errBadRequest)
		sess.end("payload too large", false)
		return
	}
	packets, err := DecodePayload(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, errBadRequest)
		sess.end("parse error", false)
		return
	}
	for _, p := range packets {
		sess.handle(p)
	}
	w.Header().Set("Content-Type", "text/html")
	_, _ = io.WriteString(w, "ok")
}
