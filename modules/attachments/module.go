package attachments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/attachments/internal/adapters/localdisk"
	"github.com/chatforge/chat/modules/attachments/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/attachments/internal/adapters/s3store"
	"github.com/chatforge/chat/modules/attachments/internal/app"
	"github.com/chatforge/chat/modules/attachments/internal/domain"
	"github.com/chatforge/chat/modules/attachments/internal/ports/httpapi"
)

// Errors of the module; test with errors.Is.
var (
	// ErrNotFound: no such attachment, or the caller may not see its room
	// (404). Rooms adapters return it for rooms the user may not read.
	ErrNotFound = domain.ErrNotFound
	// ErrTooLarge: the file is over ATTACHMENT_MAX_BYTES (413).
	ErrTooLarge = domain.ErrTooLarge
	// ErrQuota: the upload would take its user's files over
	// ATTACHMENT_USER_QUOTA_BYTES (413, code quota_exceeded).
	ErrQuota = domain.ErrQuota
	// ErrForbidden: the caller sees the room but may not post in it (a
	// public room not joined): 403.
	ErrForbidden = domain.ErrForbidden
	// ErrInvalid: the attachment ids a message names are not the sender's
	// own unattached uploads in that room (422).
	ErrInvalid = domain.ErrInvalid
)

// UploadPath is the upload route: give it a body limit of at least
// BodyLimit (the api's general limit is far smaller).
const UploadPath = httpapi.UploadPath

// Rooms tells whether a user may read a room (download links, redirects)
// and post in it (uploads): nil, ErrNotFound, ErrForbidden (CanPost), or
// an outage error.
type Rooms interface {
	CanRead(ctx context.Context, userID, roomID string) error
	CanPost(ctx context.Context, userID, roomID string) error
}

// Deps are the module's collaborators. DB is required. The api passes
// Rooms and URLKey (which keys the download links when Config.URLSecret is
// empty); the worker, which only purges orphans, passes neither.
type Deps struct {
	DB     *gorm.DB
	Rooms  Rooms
	URLKey []byte
	Log    *slog.Logger
	Now    func() time.Time
	Config Config
}

// Module is the wired attachments module.
type Module struct {
	app  *app.App
	http *httpapi.Handler
	cfg  Config
	log  *slog.Logger
}

// New checks d and wires the module (it does not contact the blob store).
func New(d Deps) (*Module, error) {
	if d.DB == nil {
		return nil, errors.New("attachments: Deps.DB is required")
	}
	cfg := d.Config.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	key := []byte(cfg.URLSecret)
	if len(key) == 0 {
		key = d.URLKey
	}
	if len(key) == 0 && d.Rooms == nil {
		// The worker: it serves no routes and signs no links.
		key = []byte("unused: this instance signs no links")
	}
	if len(key) < 16 {
		return nil, errors.New("attachments: ATTACHMENT_URL_SECRET must be at least 16 bytes (or pass a derived key)")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	blobs, err := openBlobs(cfg)
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	rooms := d.Rooms
	if rooms == nil {
		rooms = noRooms{}
	}
	a := app.New(postgres.New(d.DB), blobs, rooms, domain.NewSigner(key),
		app.Config{MaxBytes: cfg.MaxBytes, UserQuota: cfg.UserQuotaBytes, LinkTTL: cfg.URLTTL}, d.Now, d.Log)
	return &Module{app: a, http: httpapi.New(a, d.Log, cfg.MaxBytes), cfg: cfg, log: d.Log}, nil
}

func openBlobs(cfg Config) (app.Blobs, error) {
	if cfg.StorageBackend == "s3" {
		return s3store.New(s3store.Config{Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket,
			AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, Region: cfg.S3Region})
	}
	return localdisk.New(cfg.StorageDir)
}

// BodyLimit is the body size the upload route must accept: the file limit
// plus room for the multipart framing and the roomId field.
func (m *Module) BodyLimit() int64 { return m.cfg.MaxBytes + 64<<10 }

// Routes mounts the REST routes (see httpapi).
func (m *Module) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	m.http.Routes(r, auth, userLimit)
}

// PurgeOrphans deletes the uploads no message carried within the grace
// period (Config.OrphanGrace) and the attachments of deleted messages
// (those the api's drop after a delete left), with their blobs; it
// returns how many.
func (m *Module) PurgeOrphans(ctx context.Context) (int, error) {
	return m.app.PurgeOrphans(ctx, m.cfg.OrphanGrace)
}

type noRooms struct{}

func (noRooms) CanRead(context.Context, string, string) error { return ErrNotFound }
func (noRooms) CanPost(context.Context, string, string) error { return ErrNotFound }
