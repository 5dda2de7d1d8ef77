// The app driven over this adapter and the local disk: the use cases on
// real PostgreSQL.
package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/attachments/internal/adapters/localdisk"
	"github.com/chatforge/chat/modules/attachments/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/attachments/internal/app"
	"github.com/chatforge/chat/modules/attachments/internal/domain"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

const globalRoom = "00000000-0000-0000-0000-000000000001"

// members is a Rooms fake: a user reads the rooms listed for them.
type members map[string]map[string]bool

func (m members) CanRead(_ context.Context, userID, roomID string) error {
	if m[userID][roomID] {
		return nil
	}
	return domain.ErrNotFound
}

// CanPost: readers may post, except in the room "readonly" (a public room
// not joined).
func (m members) CanPost(ctx context.Context, userID, roomID string) error {
	if m[userID]["readonly"] {
		return domain.ErrForbidden
	}
	return m.CanRead(ctx, userID, roomID)
}

type fixture struct {
	app   *app.App
	db    *gorm.DB
	blobs *localdisk.Store
	rooms members
	now   time.Time
	alice string
	bob   string
}

func newFixture(t *testing.T, maxBytes int64) *fixture {
	t.Helper()
	return newFixtureWith(t, app.Config{MaxBytes: maxBytes}, nil)
}

// newFixtureWith builds the app with cfg (LinkTTL and TempDir filled in)
// over blobs, or over the local disk when blobs is nil.
func newFixtureWith(t *testing.T, cfg app.Config, blobs app.Blobs) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	db, err := database.Open(context.Background(), config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 16, MaxIdleConns: 16},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	disk, err := localdisk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if blobs == nil {
		blobs = disk
	}
	f := &fixture{db: db, blobs: disk, now: time.Now(), alice: addUser(t, db), bob: addUser(t, db)}
	f.rooms = members{f.alice: {globalRoom: true}}
	cfg.LinkTTL, cfg.TempDir = time.Hour, t.TempDir()
	f.app = app.New(postgres.New(db), blobs, f.rooms, domain.NewSigner([]byte("0123456789abcdef")),
		cfg, func() time.Time { return f.now }, slog.New(slog.DiscardHandler))
	return f
}

func addUser(t *testing.T, db *gorm.DB) string {
	t.Helper()
	id := uuid.NewString()
	if err := db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
		VALUES (?, ?, 'u', 'x', now(), now())`, id, id[:8]+"@example.com").Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) fetch(t *testing.T, link string) (domain.Attachment, []byte, error) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(u.Path, "/") // /api/chat/attachments/:id/content|thumbnail
	variant := ""
	if parts[5] == "thumbnail" {
		variant = "thumb"
	}
	att, rc, _, err := f.app.Content(context.Background(), parts[4], variant, u.Query().Get("exp"), u.Query().Get("sig"))
	if err != nil {
		return att, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return att, b, err
}

func TestUploadImageGetsThumbnailAndSignedLinks(t *testing.T) {
	f := newFixture(t, 1<<20)
	ctx := context.Background()
	img := pngBytes(t, 800, 600)
	v, err := f.app.Upload(ctx, f.alice, globalRoom, "../cat.png", bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if v.ContentType != "image/png" || v.Size != int64(len(img)) || v.Name != "cat.png" || !v.HasThumb || v.ThumbnailURL == "" {
		t.Fatalf("view: %+v", v)
	}
	if _, b, err := f.fetch(t, v.URL); err != nil || !bytes.Equal(b, img) {
		t.Fatalf("content: %v, equal %v", err, bytes.Equal(b, img))
	}
	_, thumb, err := f.fetch(t, v.ThumbnailURL)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb)); err != nil || format != "jpeg" || cfg.Width != domain.ThumbSide {
		t.Fatalf("thumbnail: %v %s %+v", err, format, cfg)
	}
	// A tampered or expired link is refused.
	if _, _, err := f.fetch(t, strings.Replace(v.URL, "exp=", "exp=1", 1)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("tampered link: %v", err)
	}
	f.now = f.now.Add(2 * time.Hour)
	if _, _, err := f.fetch(t, v.URL); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("expired link: %v", err)
	}
	// Get hands a member fresh links, anyone else ErrNotFound.
	fresh, err := f.app.Get(ctx, f.alice, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.fetch(t, fresh.URL); err != nil {
		t.Errorf("fresh link: %v", err)
	}
	if _, err := f.app.Get(ctx, f.bob, v.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Get by non-member: %v", err)
	}
	if _, err := f.app.Get(ctx, f.alice, "not-a-uuid"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Get bad id: %v", err)
	}
}

func TestUploadSniffsAndRefuses(t *testing.T) {
	f := newFixture(t, 1000)
	ctx := context.Background()
	v, err := f.app.Upload(ctx, f.alice, globalRoom, "evil.png", strings.NewReader("<html><script>alert(1)</script></html>"))
	if err != nil {
		t.Fatal(err)
	}
	if v.ContentType != "text/html; charset=utf-8" || v.HasThumb || domain.Inline(v.ContentType) {
		t.Fatalf("HTML claiming to be a PNG: %+v", v)
	}
	if _, err := f.app.Upload(ctx, f.alice, globalRoom, "big.txt", strings.NewReader(strings.Repeat("x", 1001))); !errors.Is(err, domain.ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := f.app.Upload(ctx, f.alice, globalRoom, "ok.txt", strings.NewReader(strings.Repeat("x", 1000))); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := f.app.Upload(ctx, f.bob, globalRoom, "a.txt", strings.NewReader("x")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("non-member upload: %v", err)
	}
	f.rooms[f.bob] = map[string]bool{globalRoom: true, "readonly": true}
	if _, err := f.app.Upload(ctx, f.bob, globalRoom, "a.txt", strings.NewReader("x")); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("upload by a reader who may not post: %v", err)
	}
}

func TestPurgeOrphans(t *testing.T) {
	f := newFixture(t, 1<<20)
	ctx := context.Background()
	old, err := f.app.Upload(ctx, f.alice, globalRoom, "old.png", bytes.NewReader(pngBytes(t, 10, 10)))
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(25 * time.Hour)
	young, err := f.app.Upload(ctx, f.alice, globalRoom, "young.txt", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.app.PurgeOrphans(ctx, 24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("PurgeOrphans = %d, %v; want 1", n, err)
	}
	if _, err := f.app.Get(ctx, f.alice, old.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("old orphan still there: %v", err)
	}
	for _, k := range []string{old.ID, old.ID + ".thumb"} {
		if _, _, err := f.blobs.Open(ctx, k); !errors.Is(err, app.ErrBlobNotFound) {
			t.Errorf("blob %s still there: %v", k, err)
		}
	}
	if _, err := f.app.Get(ctx, f.alice, young.ID); err != nil {
		t.Errorf("young upload purged: %v", err)
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.NRGBA{B: 255, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
