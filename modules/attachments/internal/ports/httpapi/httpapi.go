// Package httpapi is the attachments' REST surface under /api/chat: upload,
// the members-only redirect to a fresh link, and the signed content links.
package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/attachments/internal/app"
	"github.com/chatforge/chat/modules/attachments/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/web"
)

// UploadPath is the upload route, which takes bodies up to the attachment
// limit rather than the api's general body limit.
const UploadPath = "/api/chat/attachments"

// The codes of the upload's 413s (the problem's "code" member).
const (
	CodeTooLarge = "file_too_large"
	CodeQuota    = "quota_exceeded"
)

// uploadReadTimeout bounds reading one upload.
const uploadReadTimeout = 10 * time.Minute

// Handler serves the routes.
type Handler struct {
	app      *app.App
	log      *slog.Logger
	maxBytes int64
}

// New returns the handler.
func New(a *app.App, log *slog.Logger, maxBytes int64) *Handler {
	return &Handler{app: a, log: log, maxBytes: maxBytes}
}

// Routes mounts the routes; the content links need no Authorization.
func (h *Handler) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	r.POST(UploadPath, auth, userLimit, h.upload)
	r.GET(UploadPath+"/:id", auth, userLimit, h.redirect)
	r.GET(UploadPath+"/:id/content", h.content(""))
	r.GET(UploadPath+"/:id/thumbnail", h.content("thumb"))
}

// AttachmentJSON is an attachment as clients see it.
type AttachmentJSON struct {
	ID           string `json:"id"`
	RoomID       string `json:"roomId"`
	Name         string `json:"name"`
	ContentType  string `json:"contentType"`
	Size         int64  `json:"size"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnailUrl,omitempty"`
}

// ToJSON converts a view.
func ToJSON(v app.View) AttachmentJSON {
	return AttachmentJSON{ID: v.ID, RoomID: v.RoomID, Name: v.Name, ContentType: v.ContentType, Size: v.Size,
		URL: v.URL, ThumbnailURL: v.ThumbnailURL}
}

// upload reads the multipart body as a stream: roomId (a form field before
// the file, or the query parameter), then file, which goes to the app
// without being held in memory.
func (h *Handler) upload(c *gin.Context) {
	// The server's read timeout is sized for JSON bodies; an upload of up
	// to the attachment limit gets longer (ignored where unsupported).
	_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(uploadReadTimeout))
	mr, err := c.Request.MultipartReader()
	if err != nil {
		web.WriteProblem(c, http.StatusBadRequest, "body must be multipart/form-data with a file part")
		return
	}
	roomID := c.Query("roomId")
	for {
		part, err := mr.NextPart()
		if err != nil {
			h.bodyError(c, err, "multipart body has no file part")
			return
		}
		switch part.FormName() {
		case "roomId":
			b, err := io.ReadAll(io.LimitReader(part, 100))
			if err != nil {
				h.bodyError(c, err, "malformed multipart body")
				return
			}
			roomID = string(b)
		case "file":
			if roomID == "" {
				web.WriteProblem(c, http.StatusUnprocessableEntity, "roomId must come before file (or as a query parameter)",
					web.FieldError{Field: "roomId", Message: "is required before file"})
				return
			}
			h.store(c, roomID, part)
			return
		}
		_ = part.Close()
	}
}

func (h *Handler) store(c *gin.Context, roomID string, part *multipart.Part) {
	v, err := h.app.Upload(c, authn.PrincipalFrom(c).UserID, roomID, part.FileName(), part)
	if err != nil {
		h.bodyError(c, err, "")
		return
	}
	c.JSON(http.StatusCreated, ToJSON(v))
}

// bodyError answers a failed upload: 413 over the limit, 422 without a
// file, 400 for a broken body, else the module's error table.
func (h *Handler) bodyError(c *gin.Context, err error, eofDetail string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, domain.ErrTooLarge) || errors.As(err, &tooBig):
		web.WriteProblemCode(c, http.StatusRequestEntityTooLarge, CodeTooLarge, "file must not exceed "+strconv.FormatInt(h.maxBytes, 10)+" bytes")
	case errors.Is(err, domain.ErrQuota):
		// The error says how much is used of how much: the user's own figures.
		web.WriteProblemCode(c, http.StatusRequestEntityTooLarge, CodeQuota, err.Error()+"; delete files to upload more")
	case errors.Is(err, io.EOF) && eofDetail != "":
		web.WriteProblem(c, http.StatusUnprocessableEntity, eofDetail, web.FieldError{Field: "file", Message: "is required"})
	case errors.Is(err, app.ErrBody) || eofDetail != "":
		web.WriteProblem(c, http.StatusBadRequest, "malformed multipart body")
	default:
		h.writeError(c, err)
	}
}

func (h *Handler) redirect(c *gin.Context) {
	v, err := h.app.Get(c, authn.PrincipalFrom(c).UserID, c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Location", v.URL)
	c.Status(http.StatusFound) // no HTML body: API clients follow Location
}

// content serves a blob a signed link names. The type is the sniffed one;
// nosniff, and anything but a safe image is a download, so an uploaded page
// never runs in the api's origin.
func (h *Handler) content(variant string) gin.HandlerFunc {
	return func(c *gin.Context) {
		att, rc, size, err := h.app.Content(c, c.Param("id"), variant, c.Query("exp"), c.Query("sig"))
		if err != nil {
			h.writeError(c, err)
			return
		}
		defer rc.Close()
		ct := att.ContentType
		if variant == "thumb" {
			ct = "image/jpeg"
		}
		hd := c.Writer.Header()
		hd.Set("Content-Type", ct)
		hd.Set("Content-Length", strconv.FormatInt(size, 10))
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		hd.Set("Cross-Origin-Resource-Policy", "cross-origin") // <img> on the web app's origin
		hd.Set("Cache-Control", "private, max-age=300")
		disposition := "attachment"
		if variant == "thumb" || domain.Inline(ct) {
			disposition = "inline"
		}
		hd.Set("Content-Disposition", disposition+"; filename*="+domain.DispositionFilename(att.Name))
		c.Status(http.StatusOK)
		if c.Request.Method == http.MethodHead {
			return
		}
		if _, err := io.Copy(c.Writer, rc); err != nil {
			h.log.DebugContext(c, "attachments: serving content cut short", "id", att.ID, "err", err)
		}
	}
}

func (h *Handler) writeError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, domain.ErrNotFound):
		web.WriteProblem(c, http.StatusNotFound, "attachment or room not found")
	case errors.Is(err, domain.ErrForbidden):
		web.WriteProblem(c, http.StatusForbidden, "join the room first")
	case errors.Is(err, domain.ErrInvalid):
		web.WriteProblem(c, http.StatusUnprocessableEntity, err.Error())
	default:
		web.WriteServerError(c, h.log, "attachments request", err)
	}
}
