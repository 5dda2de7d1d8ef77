package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// commonFile is an upload of a common type and how the api must serve it.
type commonFile struct {
	name, contentType string
	data              []byte
	inline, thumbnail bool
}

func commonFiles(t *testing.T) []commonFile {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 120, 80), color.Palette{color.White, color.Black})
	img.SetColorIndex(3, 3, 1)
	var jpg, gf bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gf, img, nil); err != nil {
		t.Fatal(err)
	}
	return []commonFile{
		{"photo.jpg", "image/jpeg", jpg.Bytes(), true, true},
		{"anim.gif", "image/gif", gf.Bytes(), true, true},
		{"shot.png", "image/png", testPNG(t, 60, 40), true, true},
		{"pic.webp", "image/webp", append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), make([]byte, 24)...), true, false},
		{"report.pdf", "application/pdf", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), false, false},
		{"archive.zip", "application/zip", []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00" + strings.Repeat("\x00", 20)), false, false},
		{"clip.mp4", "video/mp4", append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 16)...), false, false},
		{"song.mp3", "audio/mpeg", append([]byte("ID3\x03\x00\x00\x00\x00\x00\x0a"), make([]byte, 32)...), false, false},
		{"notes.txt", "text/plain; charset=utf-8", []byte("meeting notes\nsecond line\n"), false, false},
		{"data.json", "application/json", []byte(`{"a": 1}`), false, false},
		{"table.csv", "text/csv; charset=utf-8", []byte("a,b\n1,2\n"), false, false},
	}
}

// TestAttachmentsCommonTypes: an upload of each common type is stored with
// the type sniffed from its bytes, served back byte for byte with that
// type and nosniff, inline only for safe images (the others as a
// download), and images get a thumbnail.
func TestAttachmentsCommonTypes(t *testing.T) {
	s := harness.NewStack(t, harness.Options{Env: map[string]string{"STORAGE_DIR": t.TempDir()}})
	a := newChat(t, s, s.Client(t))
	for _, f := range commonFiles(t) {
		var att chatAttachment
		res := a.upload(globalRoomID, f.name, f.data)
		if res.Status != http.StatusCreated {
			t.Errorf("upload %s: %s", f.name, res)
			continue
		}
		res.JSON(t, &att)
		if att.ContentType != f.contentType || att.Size != int64(len(f.data)) || att.Name != f.name || (att.ThumbnailURL != "") != f.thumbnail {
			t.Errorf("%s: attachment %+v, want type %s, thumbnail %v", f.name, att, f.contentType, f.thumbnail)
			continue
		}
		got, body := fetch(t, s, att.URL)
		disposition := got.Header.Get("Content-Disposition")
		if got.StatusCode != http.StatusOK || !bytes.Equal(body, f.data) || got.Header.Get("Content-Type") != f.contentType ||
			got.Header.Get("X-Content-Type-Options") != "nosniff" || strings.HasPrefix(disposition, "inline") != f.inline ||
			strings.HasPrefix(disposition, "attachment") == f.inline {
			t.Errorf("%s: served %d %q %q (equal %v)", f.name, got.StatusCode, got.Header.Get("Content-Type"), disposition, bytes.Equal(body, f.data))
		}
		if f.thumbnail {
			if got, thumb := fetch(t, s, att.ThumbnailURL); got.StatusCode != http.StatusOK || got.Header.Get("Content-Type") != "image/jpeg" || len(thumb) == 0 {
				t.Errorf("%s: thumbnail %d %q", f.name, got.StatusCode, got.Header.Get("Content-Type"))
			}
		}
	}
}
