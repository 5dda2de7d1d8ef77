// Package localdisk stores attachment blobs as files under one directory:
// the default backend, which needs nothing else installed.
package localdisk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/chatforge/chat/modules/attachments/internal/app"
)

// Store is a Blobs adapter over a directory.
type Store struct{ dir string }

// New creates dir if needed and returns a Store over it.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("localdisk: directory is required")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("localdisk: %w", err)
	}
	return &Store{dir: dir}, nil
}

// path maps a key to a file; keys are app-made, but a key that would leave
// the directory is refused all the same.
func (s *Store) path(key string) (string, error) {
	if key == "" || strings.Contains(key, "..") || strings.ContainsAny(key, `/\`) {
		return "", fmt.Errorf("localdisk: invalid key %q", key)
	}
	return filepath.Join(s.dir, key), nil
}

// Put writes to a temporary file and renames it into place, so a reader
// never sees a half-written blob.
func (s *Store) Put(_ context.Context, key string, r io.Reader, size int64, _ string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, ".put-*")
	if err != nil {
		return fmt.Errorf("localdisk: %w", err)
	}
	defer os.Remove(f.Name()) //nolint:errcheck // gone after the rename
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("wrote %d bytes, expected %d", n, size)
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("localdisk: put %s: %w", key, err)
	}
	return nil
}

// Open opens the blob's file.
func (s *Store) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, app.ErrBlobNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("localdisk: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close() //nolint:errcheck // the stat error is the one to report
		return nil, 0, fmt.Errorf("localdisk: %w", err)
	}
	return f, st.Size(), nil
}

// Delete removes the blob's file.
func (s *Store) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localdisk: %w", err)
	}
	return nil
}
