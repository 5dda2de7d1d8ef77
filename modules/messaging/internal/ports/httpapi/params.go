package httpapi

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// pathID reads a UUID path parameter; a malformed one is answered 400.
func pathID(c *gin.Context, name string) (string, bool) {
	return parseUUID(c, name, c.Param(name))
}

func parseUUID(c *gin.Context, name, s string) (string, bool) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		badParam(c, name, "must be a UUID")
		return "", false
	}
	return id.String(), true
}

// queryInt reads an optional integer query parameter (0 when absent);
// a non-integer is answered 400. Range rules are the use case's (422).
func queryInt(c *gin.Context, name string) (n int64, present, ok bool) {
	s, present := c.GetQuery(name)
	if !present {
		return 0, false, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		badParam(c, name, "must be an integer")
		return 0, true, false
	}
	return n, true, true
}

// queryLimit reads ?limit=. An explicit 0 is refused like any other
// out-of-range size (only an absent limit means the default).
func queryLimit(c *gin.Context) (int, bool) {
	n, present, ok := queryInt(c, "limit")
	if present && n == 0 {
		n = -1
	}
	return int(n), ok
}

// listQuery reads ?cursor= (an id) and ?limit=.
func listQuery(c *gin.Context) (domain.ListQuery, bool) {
	var q domain.ListQuery
	if s := c.Query("cursor"); s != "" {
		id, ok := parseUUID(c, "cursor", s)
		if !ok {
			return q, false
		}
		q.After = id
	}
	limit, ok := queryLimit(c)
	q.Limit = limit
	return q, ok
}

// Search cursors are opaque to clients: base64url("<rank>:<message id>").
// The rank is a float32 printed exactly, so the keyset comparison in the
// store matches the hit it came from.
func encodeSearchCursor(sc *domain.SearchCursor) *string {
	if sc == nil {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatFloat(float64(sc.Rank), 'g', -1, 32) + ":" + sc.MessageID))
	return &s
}

func decodeSearchCursor(c *gin.Context, s string) (*domain.SearchCursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	rank, id, found := strings.Cut(string(raw), ":")
	r, perr := strconv.ParseFloat(rank, 32)
	_, uerr := uuid.Parse(id)
	if err != nil || !found || perr != nil || uerr != nil {
		badParam(c, "cursor", "is not a cursor this API returned")
		return nil, false
	}
	return &domain.SearchCursor{Rank: float32(r), MessageID: id}, true
}

func stringPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
