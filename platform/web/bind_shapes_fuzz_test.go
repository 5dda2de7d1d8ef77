package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

// fuzzRequest has one field of each kind the api's DTOs use.
type fuzzRequest struct {
	Name   string         `json:"name" validate:"required,max=20"`
	Email  string         `json:"email" validate:"omitempty,email"`
	Count  int            `json:"count" validate:"omitempty,gte=0"`
	Flag   *bool          `json:"flag"`
	Tags   []string       `json:"tags" validate:"omitempty,max=3"`
	At     *time.Time     `json:"at"`
	Inner  *fuzzInner     `json:"inner"`
	Others []fuzzInner    `json:"others" validate:"dive"`
	Extra  map[string]int `json:"extra"`
}

type fuzzInner struct {
	City string `json:"city" validate:"required"`
}

const fuzzLimit = 512

// FuzzBind checks web.Bind, the REST decoder of every request body: it
// answers only 200 or a documented 4xx (as problem+json), never accepts a
// body encoding/json refuses or reads differently, and a bound value sent
// again binds to itself.
func FuzzBindShapes(f *testing.F) {
	for _, s := range []string{
		`{"name":"ann","email":"a@example.com","count":3,"flag":true,"tags":["a"],"at":"2026-03-01T12:00:00Z","inner":{"city":"x"},"others":[{"city":"y"}],"extra":{"k":1}}`,
		`{"name":"ann"}`, `{"NAME":"ann"}`, `{"name":"ann","name":"bob"}`, `{"name":"ann","nope":1}`,
		`{"name":"ann"} {}`, `{"name":"ann"}x`, `{"name":1}`, `{"name":"ann","count":1.5}`,
		`{"name":"ann","count":99999999999999999999}`, `{"name":"ann","at":"yesterday"}`,
		`{"name":"` + string(bytes.Repeat([]byte("a"), 600)) + `"}`, "{\"name\":\"\xff\"}",
		`{"name":"\ud800"}`, `{"others":[{}]}`, ``, `null`, `[]`, `"x"`, `{`,
	} {
		f.Add("application/json", []byte(s))
	}
	f.Add("text/plain", []byte(`{"name":"ann"}`))
	f.Add("application/json; charset=utf-8", []byte(`{"name":"ann"}`))
	e := gin.New()
	e.Use(web.BodyLimit(fuzzLimit))
	e.POST("/x", func(c *gin.Context) {
		var req fuzzRequest
		if !web.Bind(c, &req) {
			return
		}
		c.JSON(http.StatusOK, req)
	})
	post := func(ct string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		w := post(ct, body)
		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
			var p web.Problem
			if w.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Status != w.Code {
				t.Fatalf("%d answer is no problem document: %s", w.Code, w.Body)
			}
			return
		default:
			t.Fatalf("body %q (Content-Type %q) answered %d: %s", body, ct, w.Code, w.Body)
		}
		var ref fuzzRequest
		if err := json.Unmarshal(body, &ref); err != nil {
			t.Fatalf("Bind accepted %q, which encoding/json refuses: %v", body, err)
		}
		var got fuzzRequest
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("answer %s: %v", w.Body, err)
		}
		if !reflect.DeepEqual(normReq(got), normReq(ref)) {
			t.Fatalf("Bind read %q as %+v, encoding/json as %+v", body, got, ref)
		}
		// The bound value, sent again, binds to itself.
		if w2 := post("application/json", w.Body.Bytes()); w2.Code != http.StatusOK || !bytes.Equal(w2.Body.Bytes(), w.Body.Bytes()) {
			t.Fatalf("re-sent %s answered %d %s", w.Body, w2.Code, w2.Body)
		}
	})
}

// normReq drops what JSON cannot tell apart (nil vs empty) and the time's
// location (the answer writes it as an offset).
func normReq(r fuzzRequest) fuzzRequest {
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	if len(r.Others) == 0 {
		r.Others = nil
	}
	if len(r.Extra) == 0 {
		r.Extra = nil
	}
	if r.At != nil {
		at := r.At.UTC()
		r.At = &at
	}
	return r
}
