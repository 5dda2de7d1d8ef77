// Package openapi holds the OpenAPI 3.0.3 document that describes the api
// binary's REST contract. The api serves it at GET /openapi.yaml and the
// end-to-end tests validate every request and response they exchange with a
// running api against it, so the document and the server cannot drift apart
// unnoticed.
package openapi

import _ "embed"

// Spec is the OpenAPI document (YAML). Treat it as read-only.
//
//go:embed openapi.yaml
var Spec []byte
