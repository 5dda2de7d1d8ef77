package domain_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/attachments/internal/domain"
)

func TestSniffTrustsBytesNotNames(t *testing.T) {
	cases := []struct {
		head []byte
		name string
		want string
	}{
		{[]byte("<!DOCTYPE html><html><script>alert(1)</script>"), "cat.png", "text/html; charset=utf-8"},
		{pngBytes(t, 4, 4), "notes.txt", "image/png"},
		{[]byte(`{"a":1}`), "data.json", "application/json"},
		{[]byte("hello"), "a.txt", "text/plain; charset=utf-8"},
		{[]byte{0, 1, 2, 3, 0xff}, "x.exe", "application/octet-stream"},
		{[]byte("%PDF-1.7"), "doc.pdf", "application/pdf"},
	}
	for _, c := range cases {
		if got := domain.Sniff(c.head, c.name); got != c.want {
			t.Errorf("Sniff(%q, %q) = %q, want %q", c.head[:min(8, len(c.head))], c.name, got, c.want)
		}
	}
	if domain.Inline("text/html; charset=utf-8") || domain.Inline("image/svg+xml") || !domain.Inline("image/png") {
		t.Error("Inline: only safe raster images are inline")
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{"../../etc/passwd": "passwd", `C:\x\a "b".txt`: "a b.txt", "": "file", "a\nb": "ab"} {
		if got := domain.CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDispositionFilename(t *testing.T) {
	for in, want := range map[string]string{"a b;c=d.txt": "UTF-8''a%20b%3Bc%3Dd.txt", "été.png": "UTF-8''%C3%A9t%C3%A9.png", "x'y": "UTF-8''x%27y"} {
		if got := domain.DispositionFilename(in); got != want {
			t.Errorf("DispositionFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSigner(t *testing.T) {
	s := domain.NewSigner([]byte("k"))
	now := time.Unix(1_000_000, 0)
	exp := now.Add(time.Hour)
	sig := s.Sign("id1", "", exp)
	if !s.Valid("id1", "", exp.Unix(), sig, now) {
		t.Fatal("fresh signature refused")
	}
	if s.Valid("id1", "", exp.Unix(), sig, exp) {
		t.Error("expired signature accepted")
	}
	if s.Valid("id2", "", exp.Unix(), sig, now) || s.Valid("id1", "thumb", exp.Unix(), sig, now) ||
		s.Valid("id1", "", exp.Unix()+1, sig, now) || domain.NewSigner([]byte("other")).Valid("id1", "", exp.Unix(), sig, now) {
		t.Error("signature valid for something else")
	}
}

func TestThumbnail(t *testing.T) {
	data := pngBytes(t, 1000, 500)
	thumb, err := domain.Thumbnail(opener(data))
	if err != nil {
		t.Fatal(err)
	}
	img, format, err := image.Decode(bytes.NewReader(thumb))
	if err != nil || format != "jpeg" || img.Bounds().Dx() != domain.ThumbSide || img.Bounds().Dy() != domain.ThumbSide/2 {
		t.Fatalf("thumb: %v %s %v", err, format, img.Bounds())
	}
}

// TestThumbnailRefusesDecompressionBombs: a tiny PNG whose header declares
// 100000x100000 pixels is refused from its header alone.
func TestThumbnailRefusesDecompressionBombs(t *testing.T) {
	data := pngBytes(t, 1, 1)
	// IHDR width and height are bytes 16..24; fix the chunk's CRC after.
	binary.BigEndian.PutUint32(data[16:], 100_000)
	binary.BigEndian.PutUint32(data[20:], 100_000)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	if _, err := domain.Thumbnail(opener(data)); !errors.Is(err, domain.ErrNoThumbnail) {
		t.Fatalf("Thumbnail(bomb) = %v, want ErrNoThumbnail", err)
	}
	if _, err := domain.Thumbnail(opener([]byte("not an image"))); !errors.Is(err, domain.ErrNoThumbnail) {
		t.Fatalf("Thumbnail(text) = %v", err)
	}
}

func opener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%max(h, 1), color.NRGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkThumbnail: the CPU of one thumbnail (decode, scale, JPEG
// encode) of a 640x480 PNG, as the load tool's upload-image sends.
func BenchmarkThumbnail(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: uint8(x * y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for b.Loop() {
		if _, err := domain.Thumbnail(opener(data)); err != nil {
			b.Fatal(err)
		}
	}
}
