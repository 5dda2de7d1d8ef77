package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Client sends HTTP requests to a stack's api processes and checks each
// exchange against the OpenAPI document. It is safe for concurrent use; its
// failures are reported to the test that created it.
type Client struct {
	t       testing.TB
	s       *Stack
	pinned  *Proc
	check   bool
	headers http.Header // sent with every request unless overridden
	hc      *http.Client
}

// Response is an answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Client returns a checking client that round-robins over the stack's live
// api processes. It sends "User-Agent: chatforge-e2e" unless told otherwise
// (WithHeader) and does not follow redirects.
func (s *Stack) Client(t testing.TB) *Client {
	t.Helper()
	if _, err := loadSpec(); err != nil {
		t.Fatalf("harness: %v", err)
	}
	return &Client{
		t:       t,
		s:       s,
		check:   true,
		headers: http.Header{"User-Agent": {"chatforge-e2e"}},
		hc: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// Pin returns a copy of c that sends every request to p.
func (c *Client) Pin(p *Proc) *Client {
	cp := c.clone()
	cp.pinned = p
	return cp
}

// Unchecked returns a copy of c that skips the OpenAPI checks: for
// benchmarks, where the checks would cost more than the server's work.
func (c *Client) Unchecked() *Client {
	cp := c.clone()
	cp.check = false
	return cp
}

// WithHeader returns a copy of c that sends the header on every request
// (e.g. a User-Agent to tell sessions apart).
func (c *Client) WithHeader(key, value string) *Client {
	cp := c.clone()
	cp.headers.Set(key, value)
	return cp
}

func (c *Client) clone() *Client {
	cp := *c
	cp.headers = c.headers.Clone()
	return &cp
}

// Do sends one request and returns the answer. body is sent as is when it
// is a []byte, json.RawMessage, string or io.Reader, JSON-encoded otherwise,
// with Content-Type application/json unless hdr sets one (an empty value
// sends none). token, when not empty, goes in Authorization: Bearer.
//
// Checks (test errors, not fatal): the answer carries X-Request-ID; every
// error answer is a problem document whose status, requestId and instance
// match the exchange; an undocumented path answers 404 and an undocumented
// method 405; otherwise the status, headers and body are those the document
// describes, and a request the document rejects is answered with a 4xx.
// CORS preflights (OPTIONS with Access-Control-Request-Method) are only
// checked for X-Request-ID.
// A transport error is a test error too, returned as Status 0.
func (c *Client) Do(method, path string, body any, token string, hdr ...http.Header) *Response {
	c.t.Helper()
	raw, hasBody := encodeBody(c.t, body)
	target := c.target()
	if target == nil {
		return &Response{}
	}
	h := c.headers.Clone()
	if hasBody {
		h.Set("Content-Type", "application/json")
	}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	for _, x := range hdr {
		for k, vs := range x {
			h.Del(k)
			for _, v := range vs {
				if v != "" {
					h.Add(k, v)
				}
			}
		}
	}

	var rd io.Reader
	if hasBody {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, target.URL()+path, rd)
	if err != nil {
		c.t.Errorf("harness: %s %s: %v", method, path, err)
		return &Response{}
	}
	req.Header = h
	if ua := h.Get("User-Agent"); ua == "" {
		req.Header.Set("User-Agent", "") // no Go default: the test asked for none
	}
	hres, err := c.hc.Do(req)
	if err != nil {
		c.t.Errorf("harness: %s %s on %s: %v", method, path, target.Name(), err)
		return &Response{}
	}
	resBody, err := io.ReadAll(hres.Body)
	hres.Body.Close()
	if err != nil {
		c.t.Errorf("harness: %s %s on %s: read body: %v", method, path, target.Name(), err)
	}
	res := &Response{Status: hres.StatusCode, Header: hres.Header, Body: resBody}
	if c.check {
		if errs := c.verify(req, raw, hasBody, res); len(errs) > 0 {
			c.t.Errorf("OpenAPI contract broken by %s %s (on %s) -> %d:\n  - %s\n  request body: %s\n  response body: %s",
				method, path, target.Name(), res.Status, strings.Join(errs, "\n  - "),
				clip(raw), clip(res.Body))
		}
	}
	return res
}

func (c *Client) target() *Proc {
	c.t.Helper()
	if c.pinned != nil {
		return c.pinned
	}
	return c.s.live(c.t)
}

// encodeBody returns the bytes to send and whether there is a body at all.
func encodeBody(t testing.TB, body any) ([]byte, bool) {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil, false
	case []byte:
		return b, true
	case json.RawMessage:
		return b, true
	case string:
		return []byte(b), true
	case io.Reader:
		raw, err := io.ReadAll(b)
		if err != nil {
			t.Fatalf("harness: read request body: %v", err)
		}
		return raw, true
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("harness: encode request body: %v", err)
		}
		return raw, true
	}
}

// JSON decodes the body into dst; a body that does not decode is fatal.
func (r *Response) JSON(t testing.TB, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, dst); err != nil {
		t.Fatalf("decode %d answer %s: %v", r.Status, clip(r.Body), err)
	}
}

// Problem is an RFC 9457 problem document as the api writes it.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance"`
	RequestID string       `json:"requestId"`
	Errors    []FieldError `json:"errors"`
	Code      string       `json:"code"`
}

// FieldError is one entry of Problem.Errors.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem decodes the body as a problem document.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	var p Problem
	r.JSON(t, &p)
	return p
}

// String summarises the answer for failure messages.
func (r *Response) String() string { return fmt.Sprintf("%d %s", r.Status, clip(r.Body)) }

func clip(b []byte) string {
	const n = 2048
	if len(b) > n {
		return fmt.Sprintf("%s... (%d bytes)", b[:n], len(b))
	}
	if len(b) == 0 {
		return "(empty)"
	}
	return string(b)
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
