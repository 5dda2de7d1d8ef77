package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/web"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	m.Run()
}

// syncBuffer is a log sink safe to read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for {
		var rec map[string]any
		if err := dec.Decode(&rec); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("log is not JSON lines: %v", err)
		}
		out = append(out, rec)
	}
}

// newEngine returns an engine built by NewEngine and the log it writes.
func newEngine(t *testing.T, o web.Options) (*gin.Engine, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log, err := logging.New(logs, "debug")
	if err != nil {
		t.Fatal(err)
	}
	return web.NewEngine(log, o), logs
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decodeProblem checks the problem+json envelope and returns the body.
func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder, wantStatus int) web.Problem {
	t.Helper()
	if rec.Code != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, wantStatus, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != web.ProblemContentType {
		t.Errorf("Content-Type = %q, want %q", ct, web.ProblemContentType)
	}
	var p web.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body.String(), err)
	}
	if p.Status != wantStatus || p.Type != "about:blank" || p.Title != http.StatusText(wantStatus) {
		t.Errorf("problem envelope = %+v", p)
	}
	if p.RequestID == "" || p.RequestID != rec.Header().Get(web.HeaderRequestID) {
		t.Errorf("problem requestId %q does not match header %q", p.RequestID, rec.Header().Get(web.HeaderRequestID))
	}
	return p
}
