package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// verify returns what in the exchange breaks the OpenAPI document.
func (c *Client) verify(req *http.Request, reqBody []byte, hasBody bool, res *Response) []string {
	sp, _ := loadSpec() // loaded by Stack.Client
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	xid := res.Header.Get("X-Request-ID")
	if xid == "" {
		bad("no X-Request-ID header")
	}
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
		// A CORS preflight is answered by the CORS layer, outside the document.
		return errs
	}
	if res.Status >= 400 {
		errs = append(errs, checkProblem(sp, req, res, xid)...)
	}

	// A copy of the request for the validator, which consumes the body.
	var rd io.Reader = http.NoBody
	if hasBody {
		rd = bytes.NewReader(reqBody)
	}
	vreq, _ := http.NewRequest(req.Method, req.URL.String(), rd)
	vreq.Header = req.Header.Clone()

	route, params, err := sp.router.FindRoute(vreq)
	switch {
	case err == routers.ErrPathNotFound:
		if res.Status != http.StatusNotFound {
			bad("undocumented path answered %d, want 404", res.Status)
		}
		return errs
	case err == routers.ErrMethodNotAllowed:
		if res.Status != http.StatusMethodNotAllowed {
			bad("undocumented method answered %d, want 405", res.Status)
		}
		return errs
	case err != nil:
		bad("route lookup: %v", err)
		return errs
	}

	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request:    vreq,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if reqErr != nil && (res.Status < 400 || res.Status >= 500) {
		bad("the document rejects this request (%v) but the server answered %d", oneLine(reqErr), res.Status)
	}

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		bad("response: %v", oneLine(err))
	}
	if ref := route.Operation.Responses.Status(res.Status); ref != nil && ref.Value != nil &&
		len(ref.Value.Content) == 0 && len(res.Body) > 0 {
		bad("documented without a body, got %d bytes", len(res.Body))
	}
	return errs
}

// checkProblem checks an error answer: an RFC 9457 document that matches
// the Problem schema and the exchange.
func checkProblem(sp *spec, req *http.Request, res *Response, xid string) []string {
	var errs []string
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		return append(errs, fmt.Sprintf("error answer has Content-Type %q, want application/problem+json", res.Header.Get("Content-Type")))
	}
	var v any
	if err := json.Unmarshal(res.Body, &v); err != nil {
		return append(errs, fmt.Sprintf("problem body is not JSON: %v", err))
	}
	if err := sp.problem.VisitJSON(v); err != nil {
		errs = append(errs, fmt.Sprintf("problem body breaks the Problem schema: %v", oneLine(err)))
	}
	var p Problem
	_ = json.Unmarshal(res.Body, &p)
	if p.Status != res.Status {
		errs = append(errs, fmt.Sprintf("problem status %d, HTTP status %d", p.Status, res.Status))
	}
	if p.RequestID != xid {
		errs = append(errs, fmt.Sprintf("problem requestId %q, X-Request-ID header %q", p.RequestID, xid))
	}
	if p.Instance != req.URL.Path {
		errs = append(errs, fmt.Sprintf("problem instance %q, request path %q", p.Instance, req.URL.Path))
	}
	return errs
}
