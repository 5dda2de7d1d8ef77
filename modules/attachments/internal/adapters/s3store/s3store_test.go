package s3store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/attachments/attachmentstest"
	"github.com/chatforge/chat/modules/attachments/internal/adapters/blobtest"
	"github.com/chatforge/chat/modules/attachments/internal/adapters/s3store"
	"github.com/chatforge/chat/platform/outage"
)

// TestContract runs the Blobs contract against a real S3-compatible server.
func TestContract(t *testing.T) {
	srv := attachmentstest.StartS3(t)
	s, err := s3store.New(s3store.Config{Endpoint: srv.Endpoint, Bucket: "attachments",
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Region: srv.Region})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := s.EnsureBucket(context.Background(), srv.Region); err != nil {
			t.Fatalf("EnsureBucket: %v", err)
		}
	}
	blobtest.Run(t, s)
}

func TestUnreachableIsAnOutage(t *testing.T) {
	s, err := s3store.New(s3store.Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "k", strings.NewReader("x"), 1, ""); !errors.Is(err, outage.ErrUnavailable) {
		t.Fatalf("Put: %v, want ErrUnavailable", err)
	}
}

func TestConfigChecked(t *testing.T) {
	for _, c := range []s3store.Config{{Endpoint: "localhost:9000", Bucket: "b"}, {Endpoint: "http://h:1"}} {
		if _, err := s3store.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}
