// Package blobtest is the contract every Blobs adapter passes.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/attachments/internal/app"
)

// Run checks the Blobs contract on b.
func Run(t *testing.T, b app.Blobs) {
	ctx := context.Background()
	t.Run("put then open returns the bytes and size", func(t *testing.T) {
		data := bytes.Repeat([]byte("chatforge "), 100_000) // 1 MB: more than one read
		if err := b.Put(ctx, "k1", bytes.NewReader(data), int64(len(data)), "text/plain"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		got, size := read(t, b, "k1")
		if size != int64(len(data)) || !bytes.Equal(got, data) {
			t.Fatalf("Open: size %d, %d bytes, equal %v", size, len(got), bytes.Equal(got, data))
		}
	})
	t.Run("put replaces", func(t *testing.T) {
		for _, s := range []string{"first", "second"} {
			if err := b.Put(ctx, "k2", strings.NewReader(s), int64(len(s)), "text/plain"); err != nil {
				t.Fatalf("Put: %v", err)
			}
		}
		if got, _ := read(t, b, "k2"); string(got) != "second" {
			t.Fatalf("got %q, want second", got)
		}
	})
	t.Run("missing key is ErrBlobNotFound", func(t *testing.T) {
		if _, _, err := b.Open(ctx, "nope"); !errors.Is(err, app.ErrBlobNotFound) {
			t.Fatalf("Open missing: %v, want ErrBlobNotFound", err)
		}
	})
	t.Run("delete removes and is idempotent", func(t *testing.T) {
		if err := b.Put(ctx, "k3", strings.NewReader("x"), 1, "text/plain"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		for range 2 {
			if err := b.Delete(ctx, "k3"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}
		if _, _, err := b.Open(ctx, "k3"); !errors.Is(err, app.ErrBlobNotFound) {
			t.Fatalf("Open after delete: %v", err)
		}
	})
	t.Run("empty blob", func(t *testing.T) {
		if err := b.Put(ctx, "k4", strings.NewReader(""), 0, "text/plain"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if got, size := read(t, b, "k4"); size != 0 || len(got) != 0 {
			t.Fatalf("got %d bytes, size %d", len(got), size)
		}
	})
}

func read(t *testing.T, b app.Blobs, key string) ([]byte, int64) {
	t.Helper()
	rc, size, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open %s: %v", key, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return got, size
}
