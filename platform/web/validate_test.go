package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

// rulesRequest exercises the wording of each supported rule and JSON type.
type rulesRequest struct {
	ID      string            `json:"id" validate:"omitempty,uuid"`
	Site    string            `json:"site" validate:"omitempty,url"`
	Code    string            `json:"code" validate:"omitempty,len=1"`
	Count   int               `json:"count" validate:"omitempty,gt=0,lt=10"`
	Items   []int             `json:"items" validate:"omitempty,min=1"`
	Nick    string            `json:"nick" validate:"omitempty,alphanum"`
	Phone   string            `json:"phone" validate:"omitempty,e164"`
	Color   string            `json:"color" validate:"omitempty,hexcolor"`
	Flag    bool              `json:"flag"`
	Score   float64           `json:"score"`
	At      time.Time         `json:"at"`
	Meta    map[string]string `json:"meta"`
	Ptr     *int              `json:"ptr"`
	Ignored string            `json:"-"`
	NoTag   string            `validate:"omitempty,email"`
}

func TestBindMessages(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, web.Options{})
	e.POST("/rules", func(c *gin.Context) {
		var req rulesRequest
		if web.Bind(c, &req) {
			c.Status(http.StatusNoContent)
		}
	})

	tests := []struct {
		body       string
		wantStatus int
		want       web.FieldError
		wantDetail string
	}{
		{`{"id":"x"}`, 422, web.FieldError{Field: "id", Message: "must be a valid UUID"}, ""},
		{`{"site":"x"}`, 422, web.FieldError{Field: "site", Message: "must be a valid URL"}, ""},
		{`{"code":"ab"}`, 422, web.FieldError{Field: "code", Message: "must be exactly 1 character"}, ""},
		{`{"count":-1}`, 422, web.FieldError{Field: "count", Message: "must be more than 0"}, ""},
		{`{"count":10}`, 422, web.FieldError{Field: "count", Message: "must be less than 10"}, ""},
		{`{"items":[]}`, 422, web.FieldError{Field: "items", Message: "must contain at least 1 item"}, ""},
		{`{"nick":"a b"}`, 422, web.FieldError{Field: "nick", Message: "must contain only letters and digits"}, ""},
		{`{"phone":"123"}`, 422, web.FieldError{Field: "phone", Message: "must be a phone number in E.164 format"}, ""},
		{`{"color":"red"}`, 422, web.FieldError{Field: "color", Message: `failed the "hexcolor" rule`}, ""},
		{`{"NoTag":"x"}`, 422, web.FieldError{Field: "NoTag", Message: "must be a valid email"}, ""},
		{`{"flag":"yes"}`, 400, web.FieldError{Field: "flag", Message: "must be a boolean"}, ""},
		{`{"score":"high"}`, 400, web.FieldError{Field: "score", Message: "must be a number"}, ""},
		{`{"id":1}`, 400, web.FieldError{Field: "id", Message: "must be a string"}, ""},
		{`{"meta":[]}`, 400, web.FieldError{Field: "meta", Message: "must be an object"}, ""},
		{`{"ptr":"1"}`, 400, web.FieldError{Field: "ptr", Message: "must be an integer"}, ""},
		// time.Time refuses the value itself; encoding/json does not name the field.
		{`{"at":"yesterday"}`, 400, web.FieldError{},
			`request body has an invalid value: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/rules", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			rec := serve(e, req)
			p := decodeProblem(t, rec, tt.wantStatus)
			if tt.wantDetail != "" && p.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
			if tt.want == (web.FieldError{}) {
				if len(p.Errors) != 0 {
					t.Errorf("errors = %v, want none", p.Errors)
				}
				return
			}
			if fmt.Sprint(p.Errors) != fmt.Sprint([]web.FieldError{tt.want}) {
				t.Errorf("errors = %v, want [%v]", p.Errors, tt.want)
			}
		})
	}
}
