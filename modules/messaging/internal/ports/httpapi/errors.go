package httpapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/web"
)

// problems is the one table from the module's errors to HTTP. detail ""
// means the error's own text (it says which rule refused the request).
var problems = []struct {
	err    error
	status int
	detail string
	code   string // the problem's code extension, for refusals clients tell apart
}{
	{domain.ErrInvalid, http.StatusUnprocessableEntity, "request has invalid fields", ""},
	{domain.ErrBlocked, http.StatusForbidden, "", "blocked"},
	{domain.ErrMuted, http.StatusForbidden, "", "muted"},
	{domain.ErrBanned, http.StatusForbidden, "", "banned"},
	{domain.ErrUserBanned, http.StatusForbidden, "", "banned"},
	{domain.ErrReportNotFound, http.StatusNotFound, "report not found", ""},
	{domain.ErrMessageNotFound, http.StatusNotFound, "message not found", ""},
	// Also for rooms the caller may not see: their existence is not revealed.
	{domain.ErrNotFound, http.StatusNotFound, "room not found", ""},
	{domain.ErrUserNotFound, http.StatusNotFound, "user not found", ""},
	{domain.ErrForbidden, http.StatusForbidden, "", ""},
	{domain.ErrConflict, http.StatusConflict, "", ""},
}

// writeError answers err from the table; see web.WriteServerError for the
// rest (a dependency outage is 503, a bug a logged plain 500).
func (h *Handler) writeError(c *gin.Context, err error) {
	for _, p := range problems {
		if !errors.Is(err, p.err) {
			continue
		}
		detail := p.detail
		if detail == "" {
			detail = err.Error()
		}
		var fields []web.FieldError
		if inv := (*domain.InvalidError)(nil); errors.As(err, &inv) {
			fields = []web.FieldError{{Field: inv.Field, Message: inv.Message}}
		}
		web.WriteProblemCode(c, p.status, p.code, detail, fields...)
		return
	}
	// Not in the table: an outage (503), a client gone (499) or a bug (500).
	web.WriteServerError(c, h.log, "messaging request", err)
}

// badParam answers 400 for a malformed path or query parameter.
func badParam(c *gin.Context, name, msg string) {
	web.WriteProblem(c, http.StatusBadRequest, "parameter "+name+" "+msg, web.FieldError{Field: name, Message: msg})
}
