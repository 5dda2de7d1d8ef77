package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

type address struct {
	City string `json:"city" validate:"required"`
}

type registerRequest struct {
	Email       string    `json:"email" validate:"required,email"`
	Password    string    `json:"password" validate:"required,min=8,max=128"`
	DisplayName string    `json:"displayName" validate:"required,max=5"`
	Age         int       `json:"age" validate:"omitempty,gte=13"`
	Kind        string    `json:"kind" validate:"omitempty,oneof=public private"`
	Tags        []string  `json:"tags" validate:"omitempty,min=1,max=2"`
	Address     *address  `json:"address"`
	Members     []address `json:"members" validate:"dive"`
}

const validBody = `{"email":"a@example.com","password":"longenough","displayName":"Ann"}`

// bindEngine serves POST /register, answering 200 with the bound value.
func bindEngine(t *testing.T, limit int64) *gin.Engine {
	t.Helper()
	e, _ := newEngine(t, web.Options{BodyLimit: limit})
	e.POST("/register", func(c *gin.Context) {
		var req registerRequest
		if !web.Bind(c, &req) {
			return
		}
		c.JSON(http.StatusOK, req)
	})
	return e
}

func TestBind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantDetail  string // substring of detail
		wantErrors  []web.FieldError
	}{
		{name: "valid", body: validBody, wantStatus: 200},
		{name: "valid with charset and trailing whitespace", contentType: "application/json; charset=utf-8",
			body: validBody + "\n\t ", wantStatus: 200},
		{name: "missing content type", contentType: "-", body: validBody, wantStatus: 415,
			wantDetail: "Content-Type must be application/json"},
		{name: "wrong content type", contentType: "text/plain", body: validBody, wantStatus: 415,
			wantDetail: "Content-Type must be application/json"},
		{name: "form content type", contentType: "application/x-www-form-urlencoded", body: "email=a", wantStatus: 415},
		{name: "empty body", body: "", wantStatus: 400, wantDetail: "request body is required"},
		{name: "whitespace body", body: "  \n", wantStatus: 400, wantDetail: "request body is required"},
		{name: "malformed JSON", body: `{"email" "a"}`, wantStatus: 400,
			wantDetail: "request body is not valid JSON: invalid character '\"' after object key (at byte 10)"},
		{name: "truncated JSON", body: `{"email":"a@`, wantStatus: 400,
			wantDetail: "request body is not valid JSON: unexpected end of input"},
		{name: "wrong type", body: `{"email":42}`, wantStatus: 400,
			wantDetail: `field "email" must be a string`,
			wantErrors: []web.FieldError{{Field: "email", Message: "must be a string"}}},
		{name: "fraction for integer", body: `{"age":13.5}`, wantStatus: 400,
			wantDetail: `field "age" must be an integer`},
		{name: "integer out of range", body: `{"age":99999999999999999999}`, wantStatus: 400,
			wantDetail: `field "age" is out of range`},
		{name: "nested wrong type", body: `{"address":{"city":1}}`, wantStatus: 400,
			wantDetail: `field "address.city" must be a string`},
		{name: "object expected for array", body: `{"tags":"x"}`, wantStatus: 400,
			wantDetail: `field "tags" must be an array`},
		{name: "array instead of object", body: `[]`, wantStatus: 400,
			wantDetail: "request body must be an object"},
		{name: "unknown field", body: `{"email":"a@example.com","dispayName":"x"}`, wantStatus: 400,
			wantDetail: `unknown field "dispayName"`,
			wantErrors: []web.FieldError{{Field: "dispayName", Message: "is not a known field"}}},
		{name: "trailing data", body: validBody + ` {"x":1}`, wantStatus: 400,
			wantDetail: "request body must contain a single JSON value"},
		{name: "trailing garbage", body: validBody + `x`, wantStatus: 400,
			wantDetail: "request body must contain a single JSON value"},
		{name: "validation lists every field", body: `{"email":"nope","password":"short","displayName":"toolong",` +
			`"age":5,"kind":"secret","tags":["a","b","c"],"address":{},"members":[{"city":"x"},{}]}`,
			wantStatus: 422, wantDetail: "request body failed validation",
			wantErrors: []web.FieldError{
				{Field: "email", Message: "must be a valid email"},
				{Field: "password", Message: "must be at least 8 characters"},
				{Field: "displayName", Message: "must be at most 5 characters"},
				{Field: "age", Message: "must be at least 13"},
				{Field: "kind", Message: "must be one of: public, private"},
				{Field: "tags", Message: "must contain at most 2 items"},
				{Field: "address.city", Message: "is required"},
				{Field: "members[1].city", Message: "is required"},
			}},
		{name: "required fields", body: `{}`, wantStatus: 422,
			wantErrors: []web.FieldError{
				{Field: "email", Message: "is required"},
				{Field: "password", Message: "is required"},
				{Field: "displayName", Message: "is required"},
			}},
		{name: "null body", body: `null`, wantStatus: 422},
		// encoding/json would store U+FFFD or keep the last value: refused.
		{name: "invalid UTF-8", body: "{\"email\":\"a@example.com\",\"password\":\"longenough\",\"displayName\":\"A\xffn\"}",
			wantStatus: 400, wantDetail: "request body: a string is not valid UTF-8 (at byte 66)"},
		{name: "lone surrogate", body: `{"email":"a@example.com","password":"longenough","displayName":"A\ud800"}`,
			wantStatus: 400, wantDetail: `request body: a string has a lone UTF-16 surrogate \ud800`},
		{name: "lone low surrogate", body: `{"email":"a@example.com","password":"longenough","displayName":"\udfff"}`,
			wantStatus: 400, wantDetail: `lone UTF-16 surrogate \udfff`},
		{name: "surrogate pair accepted", body: `{"email":"a@example.com","password":"longenough","displayName":"\ud83c\udf89"}`,
			wantStatus: 200},
		{name: "duplicate key", body: `{"email":"a@example.com","password":"longenough","displayName":"Ann","displayName":"Bob"}`,
			wantStatus: 400, wantDetail: `request body: duplicate key "displayName" (at byte 70)`},
		{name: "duplicate key differing in case", body: `{"email":"a@example.com","password":"longenough","displayName":"Ann","DISPLAYNAME":"Bob"}`,
			wantStatus: 400, wantDetail: `duplicate key "DISPLAYNAME"`},
		{name: "duplicate nested key", body: `{"email":"a@example.com","password":"longenough","displayName":"Ann","address":{"city":"x","city":"y"}}`,
			wantStatus: 400, wantDetail: `duplicate key "city"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(tt.body))
			switch tt.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec := serve(bindEngine(t, 0), req)
			if tt.wantStatus == 200 {
				if rec.Code != 200 {
					t.Fatalf("status = %d, body %s", rec.Code, rec.Body.String())
				}
				return
			}
			p := decodeProblem(t, rec, tt.wantStatus)
			if !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.wantDetail)
			}
			if tt.wantErrors != nil && fmt.Sprint(p.Errors) != fmt.Sprint(tt.wantErrors) {
				t.Errorf("errors =\n  %v\nwant\n  %v", p.Errors, tt.wantErrors)
			}
		})
	}
}

// chunked hides the length of a body, as a chunked upload does.
type chunked struct{ io.Reader }

func TestBindOversizeBody(t *testing.T) {
	t.Parallel()
	const limit = 64
	big := `{"email":"` + strings.Repeat("a", 100) + `@example.com","password":"longenough","displayName":"Ann"}`
	tests := []struct {
		name  string
		body  string
		known bool // Content-Length declared
	}{
		{name: "declared length rejected before reading", body: big, known: true},
		{name: "unknown length rejected while decoding", body: big},
		{name: "excess after the value rejected", body: `{"email":"a@b.co"}` + strings.Repeat(" ", 100) + "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/register", chunked{strings.NewReader(tt.body)})
			if tt.known {
				req.ContentLength = int64(len(tt.body))
			}
			req.Header.Set("Content-Type", "application/json")
			p := decodeProblem(t, serve(bindEngine(t, limit), req), http.StatusRequestEntityTooLarge)
			if p.Detail != "request body must not exceed 64 bytes" {
				t.Errorf("detail = %q", p.Detail)
			}
		})
	}
}

func TestBindNonPointerPanicsIntoA500(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, web.Options{})
	e.POST("/bug", func(c *gin.Context) {
		var req registerRequest
		web.Bind(c, req) // programmer error
	})
	req := httptest.NewRequest(http.MethodPost, "/bug", strings.NewReader(validBody))
	req.Header.Set("Content-Type", "application/json")
	decodeProblem(t, serve(e, req), http.StatusInternalServerError)
}
