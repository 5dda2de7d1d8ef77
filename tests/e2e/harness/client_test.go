package harness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records errors instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// fakeStack serves h as the stack's only, running, api.
func fakeStack(t *testing.T, h http.HandlerFunc) *Stack {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := newProc("fake", "", strings.TrimPrefix(srv.URL, "http://"), nil)
	p.done = make(chan struct{}) // never closed: "running"
	return &Stack{APIs: []*Proc{p}}
}

func problem(w http.ResponseWriter, r *http.Request, status int, id string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status,
		"detail": "x", "instance": r.URL.Path, "requestId": id,
	})
}

const goodUser = `{"id":"0190a3c4-1111-7abc-8def-0123456789ab","email":"a@b.io","displayName":"A",` +
	`"emailVerified":false,"isBot":false,"createdAt":"2025-01-02T03:04:05Z","updatedAt":"2025-01-02T03:04:05.123Z"}`

// TestClientChecks checks that the client flags each kind of drift from
// the OpenAPI document, and nothing else.
func TestClientChecks(t *testing.T) {
	reg := map[string]string{"email": "a@b.io", "password": "password-1", "displayName": "A"}
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		body    any
		handler http.HandlerFunc
		want    string // substring of the reported error; "" = no error
	}{
		{"conforming", "POST", "/api/auth/register", reg, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			fmt.Fprintf(w, `{"user":%s}`, goodUser)
		}, ""},
		{"extra property", "POST", "/api/auth/register", reg, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			fmt.Fprintf(w, `{"user":%s,"passwordHash":"x"}`, goodUser)
		}, "passwordHash"},
		{"bad format", "GET", "/api/user/profile", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, strings.Replace(goodUser, "2025-01-02T03:04:05Z", "yesterday", 1))
		}, "createdAt"},
		{"undocumented status", "POST", "/api/auth/register", reg, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			problem(w, r, http.StatusTeapot, "id1")
		}, "status is not supported"},
		{"no request id", "GET", "/healthz", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"ok"}`)
		}, "X-Request-ID"},
		{"undocumented success status", "POST", "/api/auth/logout", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.WriteHeader(202)
		}, "status is not supported"},
		{"body where none is documented", "POST", "/api/auth/verify-email/resend", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(202)
			fmt.Fprint(w, `{"queued":true}`)
		}, "documented without a body"},
		{"undocumented path served", "GET", "/debug/vars", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			fmt.Fprint(w, `{}`)
		}, "undocumented path"},
		{"undocumented path 404", "GET", "/nope", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			problem(w, r, 404, "id1")
		}, ""},
		{"undocumented method 404", "GET", "/api/auth/login", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			problem(w, r, 404, "id1")
		}, "want 405"},
		{"invalid request accepted", "POST", "/api/auth/register", map[string]string{"email": "a@b.io"}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			fmt.Fprintf(w, `{"user":%s}`, goodUser)
		}, "document rejects this request"},
		{"invalid request refused", "POST", "/api/auth/register", map[string]string{"email": "a@b.io"}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			problem(w, r, 422, "id1")
		}, "ValidationProblem"}, // 422 must list errors[]
		{"problem id mismatch", "GET", "/api/user/profile", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.Header().Set("WWW-Authenticate", "Bearer")
			problem(w, r, 401, "other")
		}, "requestId"},
		{"401 without challenge", "GET", "/api/user/profile", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			problem(w, r, 401, "id1")
		}, "WWW-Authenticate"},
		{"error as plain JSON", "GET", "/api/user/profile", nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"unauthorized"}`)
		}, "application/problem+json"},
		{"429 without Retry-After", "POST", "/api/auth/login", map[string]string{"email": "a", "password": "b"}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-ID", "id1")
			problem(w, r, 429, "id1")
		}, "Retry-After"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeStack(t, tc.handler)
			rec := &recorder{TB: t}
			c := s.Client(rec)
			c.Do(tc.method, tc.path, tc.body, "tok")
			got := strings.Join(rec.errs, "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("unexpected error: %s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("error %q should mention %q", got, tc.want)
			}
		})
	}
}
