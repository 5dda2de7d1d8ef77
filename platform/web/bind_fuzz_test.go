package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

// FuzzBind: whatever the body, Bind answers 200, 400, 413 or 422 (never a
// 5xx), every refusal is a problem+json whose detail is valid UTF-8, and
// what it accepts holds no U+FFFD that the body did not spell (nothing was
// replaced).
func FuzzBind(f *testing.F) {
	for _, seed := range []string{
		validBody,
		`{"email":"a@example.com","password":"longenough","displayName":"A\ud800"}`,
		"{\"email\":\"a@example.com\",\"password\":\"longenough\",\"displayName\":\"\xff\"}",
		`{"email":"a@example.com","password":"longenough","displayName":"Ann","displayName":"Bob"}`,
		`{"address":{"city":"x","City":"y"}}`,
		`{"members":[{"city":"a"},{"city":"b","city":"c"}]}`,
		`{"age":1e400}`, `[]`, `null`, ``, `{"email" "a"}`,
	} {
		f.Add([]byte(seed))
	}
	e := web.NewEngine(discardLogger(), web.Options{BodyLimit: 4096})
	e.POST("/register", func(c *gin.Context) {
		var req registerRequest
		if !web.Bind(c, &req) {
			return
		}
		c.JSON(http.StatusOK, req)
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/register", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := serve(e, req)
		switch rec.Code {
		case http.StatusOK:
			var got registerRequest
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("200 body %q: %v", rec.Body.String(), err)
			}
			replaced := strings.ContainsRune(got.DisplayName+got.Email+got.Password, utf8.RuneError) &&
				!bytes.Contains(body, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
			if replaced {
				t.Fatalf("accepted %q as %+v: a character was replaced", body, got)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			p := decodeProblemF(t, rec)
			if !utf8.ValidString(p.Detail) {
				t.Fatalf("detail %q is not UTF-8", p.Detail)
			}
		default:
			t.Fatalf("Bind(%q) answered %d: %s", body, rec.Code, rec.Body.String())
		}
	})
}

func decodeProblemF(t *testing.T, rec *httptest.ResponseRecorder) web.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != web.ProblemContentType {
		t.Fatalf("Content-Type %q", ct)
	}
	var p web.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body.String(), err)
	}
	return p
}
