package app

import (
	"context"
	"errors"
	"io"
)

// ErrBlobNotFound is what a Blobs adapter returns for a key it does not hold.
var ErrBlobNotFound = errors.New("blob not found")

// Blobs stores the bytes of attachments and their thumbnails by key. Keys
// are made by the app (ids and fixed suffixes), never by clients.
type Blobs interface {
	// Put stores size bytes read from r under key, replacing any blob there.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open returns the blob's bytes and size, or ErrBlobNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// Delete removes the blob; a missing blob is not an error.
	Delete(ctx context.Context, key string) error
}
