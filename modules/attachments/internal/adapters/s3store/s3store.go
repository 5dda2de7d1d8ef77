// Package s3store stores attachment blobs in a bucket of any S3-compatible
// object store, through the MinIO Go client.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/chatforge/chat/modules/attachments/internal/app"
	"github.com/chatforge/chat/platform/outage"
)

// Config locates the bucket. Endpoint is a URL (http:// or https://).
type Config struct {
	Endpoint  string
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
}

// Store is a Blobs adapter over one bucket.
type Store struct {
	client *minio.Client
	bucket string
}

// New builds a client for cfg. It does not contact the server.
func New(cfg Config) (*Store, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3store: S3_ENDPOINT must be an http(s) URL, got %q", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3store: S3_BUCKET is required")
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath, // works with every S3-compatible server
	})
	if err != nil {
		return nil, fmt.Errorf("s3store: %w", err)
	}
	return &Store{client: c, bucket: cfg.Bucket}, nil
}

// EnsureBucket creates the bucket when it does not exist (dev and tests).
func (s *Store) EnsureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return mark(err)
	}
	if ok {
		return nil
	}
	return mark(s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region}))
}

// Put uploads the blob; a known size is streamed in one request or in parts.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: contentType})
	return mark(err)
}

// Open fetches the object's metadata first, so a missing key is
// ErrBlobNotFound before any byte is served.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, mark(err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close() //nolint:errcheck // the stat error is the one to report
		return nil, 0, mark(err)
	}
	return obj, st.Size, nil
}

// Delete removes the object (S3 answers success for a missing key too).
func (s *Store) Delete(ctx context.Context, key string) error {
	return mark(s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}))
}

// mark maps "no such key" to ErrBlobNotFound and any other failure to an
// outage (the store is a dependency: 503, never 500).
func mark(err error) error {
	if err == nil {
		return nil
	}
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return app.ErrBlobNotFound
	}
	return outage.Mark("s3", err)
}
