package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// syncRoomDTO is where one room stands for the caller.
type syncRoomDTO struct {
	RoomID  string `json:"roomId"`
	LastSeq int64  `json:"lastSeq"`
	Rev     int64  `json:"rev"`
	ReadSeq int64  `json:"readSeq"`
	Unread  int64  `json:"unread"`
}

// syncDTO answers GET /api/chat/sync. Full says the rooms are all of the
// caller's (no since, or an unknown or expired one): a device then drops
// any room it knows that is not listed.
type syncDTO struct {
	Token string        `json:"token"`
	Full  bool          `json:"full"`
	Rooms []syncRoomDTO `json:"rooms"`
	Left  []string      `json:"left"`
}

// sync: GET /api/chat/sync?since=<token> -> what changed since the token.
func (h *Handler) sync(c *gin.Context) {
	res, err := h.app.Sync(c.Request.Context(), user(c), c.Query("since"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	out := syncDTO{Token: res.Token, Full: res.Full, Rooms: make([]syncRoomDTO, len(res.Rooms)), Left: res.Left}
	if out.Left == nil {
		out.Left = []string{}
	}
	for i, r := range res.Rooms {
		out.Rooms[i] = syncRoomDTO{RoomID: r.RoomID, LastSeq: r.LastSeq, Rev: r.Rev, ReadSeq: r.ReadSeq, Unread: r.Unread()}
	}
	c.JSON(http.StatusOK, out)
}
