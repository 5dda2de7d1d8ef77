package httpapi

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/tracing"
	"github.com/chatforge/chat/platform/web"
)

func (h *Handler) history(c *gin.Context) {
	roomID := domain.GlobalRoomID
	if s := c.Query("roomId"); s != "" {
		var ok bool
		if roomID, ok = parseUUID(c, "roomId", s); !ok {
			return
		}
	}
	var q domain.HistoryQuery
	var ok bool
	if q.Before, _, ok = queryInt(c, "before"); !ok {
		return
	}
	if q.After, q.Ascending, ok = queryInt(c, "after"); !ok {
		return
	}
	if q.Limit, ok = queryLimit(c); !ok {
		return
	}
	if _, set := c.GetQuery("before"); set && q.Before == 0 {
		// before=0 would read as "no bound": refuse it like any other
		// non-positive seq.
		q.Before = -1
	}
	var p domain.HistoryPage
	var err error
	if s, set := c.GetQuery("changedSince"); set {
		// Every message whose rev is above it, in rev order; nextCursor is
		// the next changedSince.
		since, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || since < 0 {
			badParam(c, "changedSince", "must be an integer >= 0")
			return
		}
		p, err = h.app.ChangedSince(c.Request.Context(), user(c), roomID, since, q.Limit)
	} else if parent := c.Query("replyTo"); parent != "" {
		// A thread: its replies, oldest first, paged with after.
		p, err = h.app.Thread(c.Request.Context(), user(c), roomID, parent, q)
	} else {
		// The page lives until it is written: its messages go in a
		// pooled slice, not a fresh one per request.
		buf := pageItems.Get().(*[]domain.Message)
		defer putPageItems(buf)
		p, err = h.app.HistoryInto(c.Request.Context(), user(c), roomID, q, *buf)
		if cap(p.Items) > cap(*buf) {
			*buf = p.Items[:0] // grown for a larger limit: keep that
		}
	}
	if err != nil {
		h.writeError(c, err)
		return
	}
	writeMessagePage(c, p.Items, p.Next)
}

// pageItems holds the message slices of history pages being written.
var pageItems = sync.Pool{New: func() any { s := make([]domain.Message, 0, 64); return &s }}

// putPageItems clears a page's messages (so the pool keeps no string or
// slice of theirs alive) and returns the slice to the pool.
func putPageItems(buf *[]domain.Message) {
	if cap(*buf) > 1024 {
		return
	}
	clear((*buf)[:cap(*buf)])
	pageItems.Put(buf)
}

func (h *Handler) sendMessage(c *gin.Context) {
	var req sendRequest
	if !web.Bind(c, &req) {
		return
	}
	m, isNew, err := h.app.SendQueued(c.Request.Context(), user(c), app.SendInput{
		RoomID: req.RoomID, Content: req.Content, ClientMsgID: req.ClientMsgID, ReplyTo: req.ReplyTo, AttachmentIDs: req.AttachmentIDs,
		Ciphertext: ciphertextIn(req.Ciphertext), SessionID: authn.PrincipalFrom(c).SessionID,
		// Sends queued together run in another's context: each keeps its own trace.
		Trace: tracing.Traceparent(c.Request.Context())})
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(created(isNew), toMessage(m))
}

func (h *Handler) markRead(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var req readRequest
	if !web.Bind(c, &req) {
		return
	}
	seq, err := h.app.MarkRead(c.Request.Context(), user(c), id, *req.Seq)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"roomId": id, "seq": seq})
}

func (h *Handler) search(c *gin.Context) {
	q := domain.SearchQuery{Text: c.Query("q")}
	var ok bool
	if s := c.Query("roomId"); s != "" {
		if q.RoomID, ok = parseUUID(c, "roomId", s); !ok {
			return
		}
	}
	if s := c.Query("cursor"); s != "" {
		if q.After, ok = decodeSearchCursor(c, s); !ok {
			return
		}
	}
	if q.Limit, ok = queryLimit(c); !ok {
		return
	}
	hits, next, err := h.app.Search(c.Request.Context(), user(c), q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	out := page[searchHitDTO]{Items: make([]searchHitDTO, len(hits)), NextCursor: encodeSearchCursor(next)}
	for i, hit := range hits {
		out.Items[i] = searchHitDTO{messageDTO: toMessage(hit.Message), Rank: hit.Rank}
	}
	c.JSON(http.StatusOK, out)
}
