// Package domain holds the attachment rules: what an attachment is, which
// content types are served inline, how download links are signed and how
// thumbnails are made within decode limits.
package domain

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

// Errors of the module; the root package re-exports them.
var (
	ErrNotFound  = errors.New("attachment not found")
	ErrTooLarge  = errors.New("file too large")
	ErrInvalid   = errors.New("invalid attachment request")
	ErrForbidden = errors.New("join the room first")
	// ErrQuota: the upload would take the user's files over their quota.
	ErrQuota = errors.New("upload quota exceeded")
)

// Attachment is an uploaded file's metadata.
type Attachment struct {
	ID          string
	RoomID      string
	UserID      string
	Name        string
	ContentType string
	Size        int64
	HasThumb    bool
	MessageID   string // "" until a message carries it
	CreatedAt   time.Time
}

// BlobKey and ThumbKey name the attachment's stored blobs.
func (a Attachment) BlobKey() string  { return a.ID }
func (a Attachment) ThumbKey() string { return a.ID + ".thumb" }

// inlineTypes are served inline: images browsers render without running
// anything. Everything else is a download.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Inline reports whether contentType may be shown in the browser.
func Inline(contentType string) bool { return inlineTypes[contentType] }

// Sniff decides the content type from the first bytes (at most 512) and
// the file name: the bytes decide; the extension only refines a generic
// sniff for plain text (e.g. .json, .csv). The client's own Content-Type
// is never consulted.
func Sniff(head []byte, name string) string {
	ct := http.DetectContentType(head)
	base, _, _ := mime.ParseMediaType(ct)
	if base == "text/plain" {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".json":
			return "application/json"
		case ".csv":
			return "text/csv; charset=utf-8"
		case ".md":
			return "text/markdown; charset=utf-8"
		}
	}
	if base == "" {
		return "application/octet-stream"
	}
	if strings.HasPrefix(base, "text/") || base == "application/octet-stream" || inlineTypes[base] {
		return ct
	}
	return base
}

// CleanName keeps the base name of a client file name, without control
// characters or quotes, at most 255 bytes; "" becomes "file".
func CleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	for len(name) > 255 {
		_, n := lastRune(name)
		name = name[:len(name)-n]
	}
	if name == "" || name == "." || name == "/" {
		return "file"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// DispositionFilename encodes name for Content-Disposition's filename*
// (RFC 8187: UTF-8, every byte outside attr-char percent-encoded).
func DispositionFilename(name string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	b.WriteString("UTF-8''")
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
