package e2e

import (
	"bytes"
	"image"
	"image/color"
	_ "image/jpeg" // thumbnails are JPEG
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/attachments/attachmentstest"
	"github.com/chatforge/chat/tests/e2e/harness"
)

// chatAttachment is the ChatAttachment schema.
type chatAttachment struct {
	ID           string `json:"id"`
	RoomID       string `json:"roomId"`
	Name         string `json:"name"`
	ContentType  string `json:"contentType"`
	Size         int64  `json:"size"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnailUrl"`
}

// upload posts a multipart upload (roomId, then file) through the checking
// client.
func (u chat) upload(room, name string, data []byte) *harness.Response {
	u.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("roomId", room); err != nil {
		u.t.Fatal(err)
	}
	// A client claim the server must ignore.
	fw, err := w.CreatePart(map[string][]string{
		"Content-Disposition": {`form-data; name="file"; filename="` + name + `"`},
		"Content-Type":        {"image/png"},
	})
	if err != nil {
		u.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = w.Close()
	return u.c.Do(http.MethodPost, "/api/chat/attachments", body.Bytes(), u.a.AccessToken,
		http.Header{"Content-Type": {w.FormDataContentType()}})
}

// fetch GETs a signed link without Authorization.
func fetch(t *testing.T, s *harness.Stack, link string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(s.APIs[0].URL() + link)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestAttachments: uploads of an image and of an HTML file claiming to be
// a PNG, the signed links and their headers, thumbnails, members only,
// refused signatures and the size limit, against the real api.
func TestAttachments(t *testing.T) {
	s := harness.NewStack(t, harness.Options{Env: map[string]string{
		"STORAGE_DIR": t.TempDir(), "ATTACHMENT_MAX_BYTES": "300000",
	}})
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)

	img := testPNG(t, 640, 480)
	var pic chatAttachment
	if res := a.upload(globalRoomID, "cat.png", img); res.Status != http.StatusCreated {
		t.Fatalf("upload image: %s", res)
	} else {
		res.JSON(t, &pic)
	}
	if pic.ContentType != "image/png" || pic.Size != int64(len(img)) || pic.Name != "cat.png" || pic.RoomID != globalRoomID ||
		pic.URL == "" || pic.ThumbnailURL == "" {
		t.Fatalf("image attachment = %+v", pic)
	}
	res, got := fetch(t, s, pic.URL)
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, img) || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("image content: %d %v, equal %v", res.StatusCode, res.Header, bytes.Equal(got, img))
	}
	res, thumb := fetch(t, s, pic.ThumbnailURL)
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb)); res.StatusCode != http.StatusOK || err != nil ||
		format != "jpeg" || cfg.Width > 320 || cfg.Height > 320 {
		t.Errorf("thumbnail: %d %v %s %+v", res.StatusCode, err, format, cfg)
	}

	// HTML that claims to be a PNG is served as HTML, as a download.
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	var page chatAttachment
	if res := a.upload(globalRoomID, "innocent.png", html); res.Status != http.StatusCreated {
		t.Fatalf("upload html: %s", res)
	} else {
		res.JSON(t, &page)
	}
	if !strings.HasPrefix(page.ContentType, "text/html") || page.ThumbnailURL != "" {
		t.Errorf("html attachment = %+v", page)
	}
	res, got = fetch(t, s, page.URL)
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, html) || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("html content: %d %v", res.StatusCode, res.Header)
	}

	// A tampered or expired signature, or none, is refused.
	u, _ := url.Parse(page.URL)
	q := u.Query()
	for name, mod := range map[string]func(url.Values){
		// Its first character changed (to one it is not: "x"+sig[1:] was
		// the signature itself once in 64 runs).
		"tampered sig": func(v url.Values) {
			sig := v.Get("sig")
			c := "x"
			if sig[0] == 'x' {
				c = "y"
			}
			v.Set("sig", c+sig[1:])
		},
		"later exp": func(v url.Values) { v.Set("exp", v.Get("exp")+"0") },
		"expired":   func(v url.Values) { v.Set("exp", "1000") },
		"no sig":    func(v url.Values) { v.Del("sig") },
	} {
		v := url.Values{"exp": {q.Get("exp")}, "sig": {q.Get("sig")}}
		mod(v)
		if res, _ := fetch(t, s, u.Path+"?"+v.Encode()); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", name, res.StatusCode)
		}
	}
	// Another attachment's signature does not open this one.
	pu, _ := url.Parse(pic.URL)
	if res, _ := fetch(t, s, u.Path+"?"+pu.RawQuery); res.StatusCode != http.StatusNotFound {
		t.Errorf("other attachment's signature: %d, want 404", res.StatusCode)
	}

	// GET /attachments/:id redirects a member to a fresh link.
	r := a.want(http.StatusFound, nil, http.MethodGet, "/api/chat/attachments/"+pic.ID, nil)
	if res, got := fetch(t, s, r.Header.Get("Location")); res.StatusCode != http.StatusOK || !bytes.Equal(got, img) {
		t.Errorf("redirected link: %d", res.StatusCode)
	}

	// Members only: b is not in a's private room.
	priv := a.createRoom("private")
	var secret chatAttachment
	if res := a.upload(priv.ID, "notes.txt", []byte("private notes")); res.Status != http.StatusCreated {
		t.Fatalf("upload to private room: %s", res)
	} else {
		res.JSON(t, &secret)
	}
	if !strings.HasPrefix(secret.ContentType, "text/plain") {
		t.Errorf("text attachment = %+v", secret)
	}
	wantProblem(t, b.do(http.MethodGet, "/api/chat/attachments/"+secret.ID, nil), http.StatusNotFound, "non-member redirect")
	wantProblem(t, b.upload(priv.ID, "x.txt", []byte("x")), http.StatusNotFound, "non-member upload")
	wantProblem(t, b.do(http.MethodGet, "/api/chat/attachments/00000000-0000-4000-8000-000000000000", nil), http.StatusNotFound, "unknown id")
	// A public room b has not joined: readable, but uploads need membership.
	pub := a.createRoom("public")
	wantProblem(t, b.upload(pub.ID, "x.txt", []byte("x")), http.StatusForbidden, "upload to a public room not joined")

	// Malformed uploads change nothing: not multipart (400), no file or the
	// file before roomId (422).
	wantProblem(t, a.do(http.MethodPost, "/api/chat/attachments", map[string]any{"roomId": globalRoomID}), http.StatusBadRequest, "JSON upload")
	for name, parts := range map[string][][2]string{
		"no file":          {{"roomId", globalRoomID}},
		"file before room": {{"file", "x"}, {"roomId", globalRoomID}},
	} {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for _, p := range parts {
			if p[0] == "file" {
				fw, _ := w.CreateFormFile("file", "x.txt")
				_, _ = fw.Write([]byte(p[1]))
			} else {
				_ = w.WriteField(p[0], p[1])
			}
		}
		_ = w.Close()
		wantProblem(t, a.c.Do(http.MethodPost, "/api/chat/attachments", body.Bytes(), a.a.AccessToken,
			http.Header{"Content-Type": {w.FormDataContentType()}}), http.StatusUnprocessableEntity, name)
	}

	// Over ATTACHMENT_MAX_BYTES: 413, both when the body says so up front
	// and when the file alone is over while the body is within the route's cap.
	wantProblem(t, a.upload(globalRoomID, "big.bin", bytes.Repeat([]byte{1}, 300_001)), http.StatusRequestEntityTooLarge, "file over the limit")
	wantProblem(t, a.upload(globalRoomID, "huge.bin", bytes.Repeat([]byte{1}, 1_000_000)), http.StatusRequestEntityTooLarge, "body over the limit")
	// Above the api's general body limit (1 MiB) is fine for uploads: the
	// route has its own cap; at the limit exactly it is accepted.
	if res := a.upload(globalRoomID, "edge.bin", bytes.Repeat([]byte{1}, 300_000)); res.Status != http.StatusCreated {
		t.Errorf("file at the limit: %s", res)
	}
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.NRGBA{G: 255, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAttachmentsS3: the api stores attachments in a real S3-compatible
// server (STORAGE_BACKEND=s3) and serves them back through signed links.
func TestAttachmentsS3(t *testing.T) {
	srv := attachmentstest.StartS3(t)
	s := harness.NewStack(t, harness.Options{Env: map[string]string{
		"STORAGE_BACKEND": "s3", "S3_ENDPOINT": srv.Endpoint, "S3_BUCKET": srv.Bucket(t, "chatforge-e2e"),
		"S3_ACCESS_KEY": srv.AccessKey, "S3_SECRET_KEY": srv.SecretKey, "S3_REGION": srv.Region,
	}})
	a := newChat(t, s, s.Client(t))
	img := testPNG(t, 500, 900)
	var pic chatAttachment
	if res := a.upload(globalRoomID, "tall.png", img); res.Status != http.StatusCreated {
		t.Fatalf("upload: %s", res)
	} else {
		res.JSON(t, &pic)
	}
	if res, got := fetch(t, s, pic.URL); res.StatusCode != http.StatusOK || !bytes.Equal(got, img) {
		t.Errorf("content from S3: %d, equal %v", res.StatusCode, bytes.Equal(got, img))
	}
	res, thumb := fetch(t, s, pic.ThumbnailURL)
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb)); res.StatusCode != http.StatusOK || err != nil || cfg.Height != 320 {
		t.Errorf("thumbnail from S3: %d %v %+v", res.StatusCode, err, cfg)
	}
}
