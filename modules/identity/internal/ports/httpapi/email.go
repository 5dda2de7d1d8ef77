package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/web"
)

// verifyEmail: POST /api/auth/verify-email {token} -> 204.
func (h *Handler) verifyEmail(c *gin.Context) {
	var req tokenRequest
	if !web.Bind(c, &req) {
		return
	}
	if err := h.app.VerifyEmail(c.Request.Context(), req.Token); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// resendVerification: POST /api/auth/verify-email/resend (auth) -> 202.
// Accepted, not done: the e-mail leaves through the queue.
func (h *Handler) resendVerification(c *gin.Context) {
	p, ok := h.principal(c)
	if !ok {
		return
	}
	if err := h.app.ResendVerification(c.Request.Context(), p.UserID); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusAccepted)
}

// forgotPassword: POST /api/auth/password/forgot {email} -> 202, whether or
// not the account exists: the worker looks the address up, so this does
// the same work either way. A malformed address still gets 422: that says
// nothing about accounts.
func (h *Handler) forgotPassword(c *gin.Context) {
	var req forgotPasswordRequest
	if !web.Bind(c, &req) || !h.allowAccount(c, req.Email) {
		return
	}
	ctx := c.Request.Context()
	if err := h.app.ForgotPassword(ctx, app.ForgotPasswordInput{
		Email: req.Email, IP: c.ClientIP(), UserAgent: c.Request.UserAgent(), RequestID: logging.RequestID(ctx),
	}); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusAccepted)
}

// resetPassword: POST /api/auth/password/reset {token, newPassword} -> 204.
func (h *Handler) resetPassword(c *gin.Context) {
	var req resetPasswordRequest
	if !web.Bind(c, &req) {
		return
	}
	if err := h.app.ResetPassword(c.Request.Context(), req.Token, req.NewPassword); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
