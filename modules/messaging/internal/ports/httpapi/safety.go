package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/web"
)

// Safety routes (ARCHITECTURE.md section 9): blocks, roles, mutes, bans,
// reports and the moderation log.

type (
	roleRequest struct {
		Role string `json:"role" validate:"required"`
	}
	muteRequest struct {
		UserID string    `json:"userId" validate:"required,uuid"`
		Until  time.Time `json:"until" validate:"required"`
		Reason string    `json:"reason"`
	}
	banRequest struct {
		UserID string     `json:"userId" validate:"required,uuid"`
		Until  *time.Time `json:"until"`
		Reason string     `json:"reason"`
	}
	reportRequest struct {
		Reason string `json:"reason" validate:"required"`
	}
	resolveRequest struct {
		Action string     `json:"action" validate:"required"`
		Until  *time.Time `json:"until"`
		Reason string     `json:"reason"`
	}

	blockDTO struct {
		UserID    string `json:"userId"`
		CreatedAt string `json:"createdAt"`
	}
	sanctionDTO struct {
		UserID    string `json:"userId"`
		Until     string `json:"until,omitempty"`
		ByID      string `json:"byId,omitempty"`
		Reason    string `json:"reason,omitempty"`
		CreatedAt string `json:"createdAt,omitempty"`
	}
	reportDTO struct {
		ID         string      `json:"id"`
		RoomID     string      `json:"roomId"`
		MessageID  string      `json:"messageId"`
		ReporterID *string     `json:"reporterId"`
		Reason     string      `json:"reason"`
		Status     string      `json:"status"`
		Action     string      `json:"action,omitempty"`
		ResolvedBy string      `json:"resolvedBy,omitempty"`
		ResolvedAt string      `json:"resolvedAt,omitempty"`
		CreatedAt  string      `json:"createdAt"`
		Message    *messageDTO `json:"message,omitempty"`
	}
	modEntryDTO struct {
		ID        string  `json:"id"`
		RoomID    string  `json:"roomId"`
		ActorID   *string `json:"actorId"`
		Action    string  `json:"action"`
		UserID    string  `json:"userId,omitempty"`
		MessageID string  `json:"messageId,omitempty"`
		ReportID  string  `json:"reportId,omitempty"`
		Reason    string  `json:"reason,omitempty"`
		Until     string  `json:"until,omitempty"`
		CreatedAt string  `json:"createdAt"`
	}
)

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toReport(r domain.Report) reportDTO {
	out := reportDTO{ID: r.ID, RoomID: r.RoomID, MessageID: r.MessageID, ReporterID: optString(r.ReporterID), Reason: r.Reason,
		Status: r.Status, Action: string(r.Action), ResolvedBy: r.ResolvedBy, ResolvedAt: optStamp(r.ResolvedAt), CreatedAt: stamp(r.CreatedAt)}
	if r.Message != nil {
		m := toMessage(*r.Message)
		out.Message = &m
	}
	return out
}

func toModEntry(e domain.ModEntry) modEntryDTO {
	return modEntryDTO{ID: e.ID, RoomID: e.RoomID, ActorID: optString(e.ActorID), Action: string(e.Kind), UserID: e.UserID,
		MessageID: e.MessageID, ReportID: e.ReportID, Reason: e.Reason, Until: optStamp(e.Until), CreatedAt: stamp(e.CreatedAt)}
}

// safetyRoutes mounts the safety routes: chat under /api/chat, user
// (blocks) under /api/user.
func (h *Handler) safetyRoutes(chat, user gin.IRoutes) {
	user.GET("/blocks", h.blocks)
	user.PUT("/blocks/:userId", h.block)
	user.DELETE("/blocks/:userId", h.block)
	chat.PUT("/rooms/:id/members/:userId", h.setRole)
	chat.GET("/rooms/:id/mutes", h.sanctions)
	chat.GET("/rooms/:id/bans", h.sanctions)
	chat.POST("/rooms/:id/mutes", h.mute)
	chat.DELETE("/rooms/:id/mutes/:userId", h.unmute)
	chat.POST("/rooms/:id/bans", h.ban)
	chat.DELETE("/rooms/:id/bans/:userId", h.unban)
	chat.GET("/rooms/:id/reports", h.reports)
	chat.GET("/rooms/:id/moderation-log", h.modLog)
	chat.POST("/messages/:id/report", h.report)
	chat.POST("/reports/:id/resolve", h.resolve)
}

func (h *Handler) blocks(c *gin.Context) {
	q, ok := listQuery(c)
	if !ok {
		return
	}
	items, next, err := h.app.Blocks(c.Request.Context(), user(c), q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(items, next, func(b domain.Block) blockDTO {
		return blockDTO{UserID: b.UserID, CreatedAt: stamp(b.CreatedAt)}
	}))
}

// block answers PUT (block) and DELETE (unblock), both idempotent.
func (h *Handler) block(c *gin.Context) {
	target, ok := pathID(c, "userId")
	if !ok {
		return
	}
	var err error
	if c.Request.Method == http.MethodPut {
		err = h.app.Block(c.Request.Context(), user(c), target)
	} else {
		err = h.app.Unblock(c.Request.Context(), user(c), target)
	}
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) setRole(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	target, ok := pathID(c, "userId")
	if !ok {
		return
	}
	var req roleRequest
	if !web.Bind(c, &req) {
		return
	}
	if _, err := h.app.SetRole(c.Request.Context(), user(c), id, target, req.Role); err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"userId": target, "role": req.Role})
}

func (h *Handler) mute(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var req muteRequest
	if !web.Bind(c, &req) {
		return
	}
	act, err := h.app.Mute(c.Request.Context(), user(c), id, req.UserID, req.Until, req.Reason)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, sanctionDTO{UserID: act.UserID, Until: optStamp(act.Until)})
}

func (h *Handler) ban(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var req banRequest
	if !web.Bind(c, &req) {
		return
	}
	var until time.Time
	if req.Until != nil {
		until = *req.Until
	}
	act, err := h.app.Ban(c.Request.Context(), user(c), id, req.UserID, until, req.Reason)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, sanctionDTO{UserID: act.UserID, Until: optStamp(act.Until)})
}

func (h *Handler) unmute(c *gin.Context) { h.lift(c, h.app.Unmute) }
func (h *Handler) unban(c *gin.Context)  { h.lift(c, h.app.Unban) }

// lift answers DELETE of a mute or ban (204, idempotent).
func (h *Handler) lift(c *gin.Context, do func(ctx context.Context, actorID, roomID, targetID string) (domain.ModAction, error)) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	target, ok := pathID(c, "userId")
	if !ok {
		return
	}
	if _, err := do(c.Request.Context(), user(c), id, target); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) reports(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	q, ok := listQuery(c)
	if !ok {
		return
	}
	items, next, err := h.app.Reports(c.Request.Context(), user(c), id, c.Query("status"), q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(items, next, toReport))
}

func (h *Handler) modLog(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	q, ok := listQuery(c)
	if !ok {
		return
	}
	items, next, err := h.app.ModLog(c.Request.Context(), user(c), id, q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(items, next, toModEntry))
}

func (h *Handler) report(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var req reportRequest
	if !web.Bind(c, &req) {
		return
	}
	r, err := h.app.ReportMessage(c.Request.Context(), user(c), id, req.Reason)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toReport(r))
}

func (h *Handler) resolve(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	var req resolveRequest
	if !web.Bind(c, &req) {
		return
	}
	res := app.Resolution{Action: req.Action, Reason: req.Reason}
	if req.Until != nil {
		res.Until = *req.Until
	}
	r, err := h.app.ResolveReport(c.Request.Context(), user(c), id, res)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, toReport(r))
}

// sanctions answers GET of a room's running mutes or bans (moderators).
func (h *Handler) sanctions(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	q, ok := listQuery(c)
	if !ok {
		return
	}
	bans := c.FullPath() == "/api/chat/rooms/:id/bans"
	items, next, err := h.app.Sanctions(c.Request.Context(), user(c), id, bans, q)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(items, next, func(s domain.Sanction) sanctionDTO {
		return sanctionDTO{UserID: s.UserID, Until: optStamp(s.Until), ByID: s.ByID, Reason: s.Reason, CreatedAt: stamp(s.CreatedAt)}
	}))
}
