// Package app holds the attachment use cases: upload, metadata, signed
// links and their checks, claiming by messages and orphan clean-up.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/attachments/internal/domain"
)

// ErrBody wraps a failure to read the client's upload (a broken or cut
// body, or one over the HTTP limit: *http.MaxBytesError stays visible).
var ErrBody = errors.New("reading the upload")

// Repo keeps attachment metadata.
type Repo interface {
	// Create inserts a; with quota > 0, only when the uploader's files
	// stay within quota bytes (else domain.ErrQuota), checked and
	// inserted atomically per user.
	Create(ctx context.Context, a domain.Attachment, quota int64) error
	// Usage is the bytes of userID's stored files.
	Usage(ctx context.Context, userID string) (int64, error)
	Get(ctx context.Context, id string) (domain.Attachment, error) // domain.ErrNotFound
	// Orphans lists up to limit attachments created before t that no
	// message carries.
	Orphans(ctx context.Context, before time.Time, limit int) ([]domain.Attachment, error)
	// OfDeletedMessages lists up to limit attachments of deleted messages;
	// ClearDeletedFlags marks the deleted messages left without any.
	OfDeletedMessages(ctx context.Context, limit int) ([]domain.Attachment, error)
	ClearDeletedFlags(ctx context.Context) error
	Delete(ctx context.Context, id string) error
	ForMessages(ctx context.Context, messageIDs []string) (map[string][]domain.Attachment, error)
}

// Rooms says whether a user may see a room, or post in it: nil, or
// domain.ErrNotFound / domain.ErrForbidden, or an outage.
type Rooms interface {
	CanRead(ctx context.Context, userID, roomID string) error
	CanPost(ctx context.Context, userID, roomID string) error
}

// Config are the app's limits.
type Config struct {
	MaxBytes int64
	// UserQuota bounds the bytes of one user's files (0: no bound).
	UserQuota int64
	LinkTTL   time.Duration
	TempDir   string // "" is the OS temp dir
}

// App is the attachments use cases.
type App struct {
	repo   Repo
	blobs  Blobs
	rooms  Rooms
	signer domain.Signer
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	// thumbs bounds the thumbnails made at once to the CPUs: each may
	// decode up to domain.MaxThumbPixels (160 MB as RGBA), so concurrent
	// image uploads must not multiply that without bound.
	thumbs chan struct{}
}

// New wires the app.
func New(repo Repo, blobs Blobs, rooms Rooms, signer domain.Signer, cfg Config, now func() time.Time, log *slog.Logger) *App {
	return &App{repo: repo, blobs: blobs, rooms: rooms, signer: signer, cfg: cfg, now: now, log: log,
		thumbs: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// View is an attachment with fresh signed links.
type View struct {
	domain.Attachment
	URL, ThumbnailURL string
}

// Upload stores the file r holds for userID in roomID. The bytes are
// spooled to a temporary file (never held whole in memory), bounded by
// MaxBytes (ErrTooLarge), sniffed and thumbnailed when an image. Then the
// row is inserted within the user's quota (ErrQuota) and the blobs are
// put; a failed put removes the row again. Row first: a process that dies
// before its blobs are stored leaves an unattached row the orphan sweep
// removes (and stops counting against the quota), never a blob no row
// names.
func (a *App) Upload(ctx context.Context, userID, roomID, name string, r io.Reader) (View, error) {
	if err := a.rooms.CanPost(ctx, userID, roomID); err != nil {
		return View{}, err
	}
	if a.cfg.UserQuota > 0 {
		// Early refusal of a user already at their quota, before reading
		// the body; Create checks again, atomically.
		used, err := a.repo.Usage(ctx, userID)
		if err != nil {
			return View{}, err
		}
		if used >= a.cfg.UserQuota {
			return View{}, fmt.Errorf("%w: %d of %d bytes used", domain.ErrQuota, used, a.cfg.UserQuota)
		}
	}
	f, err := os.CreateTemp(a.cfg.TempDir, "attachment-*")
	if err != nil {
		return View{}, fmt.Errorf("attachments: spool: %w", err)
	}
	defer os.Remove(f.Name()) //nolint:errcheck // best effort
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r, a.cfg.MaxBytes+1))
	if err != nil {
		return View{}, fmt.Errorf("%w: %w", ErrBody, err)
	}
	if n > a.cfg.MaxBytes {
		return View{}, domain.ErrTooLarge
	}
	head := make([]byte, 512)
	m, _ := f.ReadAt(head, 0)
	att := domain.Attachment{
		ID: uuid.NewString(), RoomID: roomID, UserID: userID, Name: domain.CleanName(name),
		ContentType: domain.Sniff(head[:m], name), Size: n, CreatedAt: a.now().UTC(),
	}
	open := func() (io.ReadCloser, error) { return os.Open(f.Name()) }
	var thumb []byte
	if domain.ThumbnailTypes[att.ContentType] {
		select {
		case a.thumbs <- struct{}{}:
		case <-ctx.Done():
			return View{}, ctx.Err()
		}
		t, err := domain.Thumbnail(open)
		<-a.thumbs
		if err == nil {
			thumb, att.HasThumb = t, true
		}
	}
	if err := a.repo.Create(ctx, att, a.cfg.UserQuota); err != nil {
		return View{}, err
	}
	if err := a.putBlobs(ctx, att, thumb, open); err != nil {
		a.undo(att)
		return View{}, err
	}
	return a.view(att), nil
}

// putBlobs stores the thumbnail (when there is one) and the file.
func (a *App) putBlobs(ctx context.Context, att domain.Attachment, thumb []byte, open func() (io.ReadCloser, error)) error {
	if att.HasThumb {
		if err := a.blobs.Put(ctx, att.ThumbKey(), bytesReader(thumb), int64(len(thumb)), "image/jpeg"); err != nil {
			return err
		}
	}
	body, err := open()
	if err != nil {
		return err
	}
	defer body.Close()
	return a.blobs.Put(ctx, att.BlobKey(), body, att.Size, att.ContentType)
}

// Get returns the attachment's metadata with fresh links, for a user who
// may read its room; domain.ErrNotFound to anyone else.
func (a *App) Get(ctx context.Context, userID, id string) (View, error) {
	if _, err := uuid.Parse(id); err != nil {
		return View{}, domain.ErrNotFound
	}
	att, err := a.repo.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	if err := a.rooms.CanRead(ctx, userID, att.RoomID); err != nil {
		return View{}, domain.ErrNotFound
	}
	return a.view(att), nil
}

// Content opens the blob a signed link names: variant "" or "thumb".
// A bad, expired or tampered signature is domain.ErrNotFound.
func (a *App) Content(ctx context.Context, id, variant, exp, sig string) (domain.Attachment, io.ReadCloser, int64, error) {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || (variant != "" && variant != "thumb") || !a.signer.Valid(id, variant, e, sig, a.now()) {
		return domain.Attachment{}, nil, 0, domain.ErrNotFound
	}
	att, err := a.repo.Get(ctx, id)
	if err != nil {
		return att, nil, 0, err
	}
	key := att.BlobKey()
	if variant == "thumb" {
		if !att.HasThumb {
			return att, nil, 0, domain.ErrNotFound
		}
		key = att.ThumbKey()
	}
	rc, size, err := a.blobs.Open(ctx, key)
	if errors.Is(err, ErrBlobNotFound) {
		return att, nil, 0, domain.ErrNotFound
	}
	return att, rc, size, err
}

// PurgeOrphans deletes attachments older than grace that no message
// carries, and the attachments of deleted messages (what the api's drop
// after a delete left), blobs first; it returns how many went.
func (a *App) PurgeOrphans(ctx context.Context, grace time.Duration) (int, error) {
	n := 0
	for _, list := range []func() ([]domain.Attachment, error){
		func() ([]domain.Attachment, error) { return a.repo.Orphans(ctx, a.now().Add(-grace), 100) },
		func() ([]domain.Attachment, error) { return a.repo.OfDeletedMessages(ctx, 100) },
	} {
		for {
			batch, err := list()
			if err != nil {
				return n, err
			}
			if len(batch) == 0 {
				break
			}
			for _, att := range batch {
				if err := a.Drop(ctx, att); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, a.repo.ClearDeletedFlags(ctx)
}

// Drop deletes an attachment's blobs, then its row.
func (a *App) Drop(ctx context.Context, att domain.Attachment) error {
	if err := a.blobs.Delete(ctx, att.BlobKey()); err != nil {
		return err
	}
	if att.HasThumb {
		if err := a.blobs.Delete(ctx, att.ThumbKey()); err != nil {
			return err
		}
	}
	return a.repo.Delete(ctx, att.ID)
}

// Views returns the attachments of each message, with fresh links.
func (a *App) Views(ctx context.Context, messageIDs []string) (map[string][]View, error) {
	m, err := a.repo.ForMessages(ctx, messageIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]View, len(m))
	for id, atts := range m {
		for _, att := range atts {
			out[id] = append(out[id], a.view(att))
		}
	}
	return out, nil
}

// DropMessage deletes the attachments messageID carries, blobs first.
func (a *App) DropMessage(ctx context.Context, messageID string) error {
	m, err := a.repo.ForMessages(ctx, []string{messageID})
	if err != nil {
		return err
	}
	for _, att := range m[messageID] {
		if err := a.Drop(ctx, att); err != nil {
			return err
		}
	}
	return nil
}

// ViewsOf signs fresh links for atts.
func (a *App) ViewsOf(atts []domain.Attachment) []View {
	out := make([]View, len(atts))
	for i, att := range atts {
		out[i] = a.view(att)
	}
	return out
}

// view signs links valid for LinkTTL, rounded up to the minute so that
// links made close together are equal (and cacheable).
func (a *App) view(att domain.Attachment) View {
	exp := a.now().Add(a.cfg.LinkTTL).Truncate(time.Minute).Add(time.Minute)
	v := View{Attachment: att, URL: a.link(att.ID, "", exp)}
	if att.HasThumb {
		v.ThumbnailURL = a.link(att.ID, "thumb", exp)
	}
	return v
}

func (a *App) link(id, variant string, exp time.Time) string {
	q := url.Values{"exp": {strconv.FormatInt(exp.Unix(), 10)}, "sig": {a.signer.Sign(id, variant, exp)}}
	path := "/api/chat/attachments/" + id + "/content"
	if variant != "" {
		path = "/api/chat/attachments/" + id + "/thumbnail"
	}
	return path + "?" + q.Encode()
}

// undo removes what a failed upload stored, row last (best effort, with
// a fresh context: the request's may be what failed). A row left behind
// is an orphan the sweep removes with whatever blob it names.
func (a *App) undo(att domain.Attachment) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Drop(ctx, att); err != nil {
		a.log.Warn("attachments: removing a failed upload (the orphan sweep will)", "id", att.ID, "err", err)
	}
}
