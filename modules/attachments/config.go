package attachments

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the module. Tags are for platform/config; apps embed it
// with envPrefix:"".
type Config struct {
	// StorageBackend is "local" (files under StorageDir) or "s3".
	StorageBackend string `env:"STORAGE_BACKEND" envDefault:"local"`
	StorageDir     string `env:"STORAGE_DIR" envDefault:".dev/storage"`
	S3Endpoint     string `env:"S3_ENDPOINT"`
	S3Bucket       string `env:"S3_BUCKET"`
	S3AccessKey    string `env:"S3_ACCESS_KEY"`
	S3SecretKey    string `env:"S3_SECRET_KEY"`
	S3Region       string `env:"S3_REGION" envDefault:"us-east-1"`
	// MaxBytes is the largest file accepted (413 above).
	MaxBytes int64 `env:"ATTACHMENT_MAX_BYTES" envDefault:"26214400"`
	// UserQuotaBytes bounds the bytes of one user's files, attached or
	// not, until deleted or swept (413 quota_exceeded above); 0: no bound.
	UserQuotaBytes int64 `env:"ATTACHMENT_USER_QUOTA_BYTES" envDefault:"1073741824"`
	// URLSecret keys the download links' signatures. Empty: the app
	// derives one from its token signing key (so instances agree).
	URLSecret string `env:"ATTACHMENT_URL_SECRET"`
	// URLTTL is how long a download link works.
	URLTTL time.Duration `env:"ATTACHMENT_URL_TTL" envDefault:"1h"`
	// OrphanGrace: an upload no message carries is deleted after this
	// (worker), and stops counting against its uploader's quota.
	OrphanGrace time.Duration `env:"ATTACHMENT_ORPHAN_GRACE" envDefault:"24h"`
}

func (c Config) withDefaults() Config {
	if c.StorageBackend == "" {
		c.StorageBackend = "local"
	}
	if c.StorageDir == "" {
		c.StorageDir = ".dev/storage"
	}
	if c.S3Region == "" {
		c.S3Region = "us-east-1"
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 25 << 20
	}
	if c.URLTTL == 0 {
		c.URLTTL = time.Hour
	}
	if c.OrphanGrace == 0 {
		c.OrphanGrace = 24 * time.Hour
	}
	return c
}

// Validate reports the settings that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	switch c.StorageBackend {
	case "local":
	case "s3":
		if c.S3Endpoint == "" || c.S3Bucket == "" {
			errs = append(errs, errors.New("STORAGE_BACKEND=s3 needs S3_ENDPOINT and S3_BUCKET"))
		}
	default:
		errs = append(errs, fmt.Errorf("STORAGE_BACKEND: must be local or s3 (got %q)", c.StorageBackend))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("ATTACHMENT_MAX_BYTES: must be positive (got %d)", c.MaxBytes))
	}
	if c.UserQuotaBytes < 0 {
		errs = append(errs, fmt.Errorf("ATTACHMENT_USER_QUOTA_BYTES: must be 0 (no quota) or positive (got %d)", c.UserQuotaBytes))
	}
	if c.URLTTL < time.Minute {
		errs = append(errs, fmt.Errorf("ATTACHMENT_URL_TTL: must be at least 1m (got %s)", c.URLTTL))
	}
	// Seconds are for tests of the worker's sweep; keep hours in service,
	// far above the time an upload and the send that attaches it take.
	if c.OrphanGrace < time.Second {
		errs = append(errs, fmt.Errorf("ATTACHMENT_ORPHAN_GRACE: must be at least 1s (got %s)", c.OrphanGrace))
	}
	return errors.Join(errs...)
}
