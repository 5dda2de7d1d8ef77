package harness

import (
	"context"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/chatforge/chat/apps/api/openapi"
)

// spec is the loaded OpenAPI document with its router; read-only after load.
type spec struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.Schema
}

var (
	specOnce sync.Once
	theSpec  *spec
	specErr  error
)

// loadSpec parses and validates apps/api/openapi once per test process.
func loadSpec() (*spec, error) {
	specOnce.Do(func() { theSpec, specErr = parseSpec(openapi.Spec) })
	return theSpec, specErr
}

func parseSpec(data []byte) (*spec, error) {
	// kin-openapi checks date and date-time by default; uuid and email are
	// opt-in. Defined here, once, before any validation reads the table.
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))

	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid OpenAPI document: %w", err)
	}
	// Match any host: the processes listen on random ports.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("OpenAPI router: %w", err)
	}
	ref := doc.Components.Schemas["Problem"]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("OpenAPI document has no components.schemas.Problem")
	}
	return &spec{doc: doc, router: router, problem: ref.Value}, nil
}
