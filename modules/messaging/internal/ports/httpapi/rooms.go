package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/web"
)

func (h *Handler) listRooms(c *gin.Context) {
	q, ok := listQuery(c)
	if !ok {
		return
	}
	u := user(c)
	rooms, next, err := h.app.ListRooms(c.Request.Context(), u, q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(rooms, next, func(v domain.RoomView) roomDTO { return toRoom(v, u) }))
}

func (h *Handler) publicRooms(c *gin.Context) {
	q, ok := listQuery(c)
	if !ok {
		return
	}
	u := user(c)
	rooms, next, err := h.app.PublicRooms(c.Request.Context(), u, c.Query("q"), q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(rooms, next, func(v domain.RoomView) roomDTO { return toRoom(v, u) }))
}

func (h *Handler) createRoom(c *gin.Context) {
	var req createRoomRequest
	if !web.Bind(c, &req) {
		return
	}
	u := user(c)
	v, members, err := h.app.CreateRoomWith(c.Request.Context(), u, req.Name, domain.Kind(req.Kind), req.MemberIDs, app.RoomOptions{Encrypted: req.Encrypted})
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, roomDetailDTO{roomDTO: toRoom(v, u), Members: toMembers(members)})
}

func (h *Handler) getRoom(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	u := user(c)
	v, members, err := h.app.GetRoom(c.Request.Context(), u, id)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, roomDetailDTO{roomDTO: toRoom(v, u), Members: toMembers(members)})
}

func (h *Handler) members(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	q, ok := listQuery(c)
	if !ok {
		return
	}
	ms, next, err := h.app.Members(c.Request.Context(), user(c), id, q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, page[memberDTO]{Items: toMembers(ms), NextCursor: stringPtr(next)})
}

func (h *Handler) addMember(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var req userRequest
	if !web.Bind(c, &req) {
		return
	}
	if _, err := h.app.AddMember(c.Request.Context(), user(c), id, req.UserID); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) removeMember(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	target, ok := pathID(c, "userId")
	if !ok {
		return
	}
	if _, err := h.app.RemoveMember(c.Request.Context(), user(c), id, target); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) join(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	u := user(c)
	if _, err := h.app.Join(c.Request.Context(), u, id); err != nil {
		h.writeError(c, err)
		return
	}
	v, members, err := h.app.GetRoom(c.Request.Context(), u, id)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, roomDetailDTO{roomDTO: toRoom(v, u), Members: toMembers(members)})
}

func (h *Handler) leave(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	if _, err := h.app.Leave(c.Request.Context(), user(c), id); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) openDirect(c *gin.Context) {
	var req userRequest
	if !web.Bind(c, &req) {
		return
	}
	u := user(c)
	v, isNew, err := h.app.OpenDirect(c.Request.Context(), u, req.UserID)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(created(isNew), toRoom(v, u))
}
