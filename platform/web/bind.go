package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/chatforge/chat/platform/strictjson"
)

// Bind decodes the JSON request body into dst (a pointer to a struct) and
// validates it with its `validate` tags. On failure it writes the problem
// itself and returns false; the handler just returns:
//
//	415 the Content-Type is not application/json
//	400 the body is empty, malformed, has a field of the wrong type, a field
//	    dst does not declare, more than one JSON value, a string that is not
//	    valid UTF-8 or holds a lone UTF-16 surrogate escape (\ud800), or a
//	    key twice in one object
//	413 the body exceeds the BodyLimit
//	422 validation failed: one FieldError per invalid field, named by its
//	    JSON name
//
// Unknown fields are refused rather than ignored so that a client's typo
// ("dispayName") fails loudly instead of silently dropping the value. Field
// names match case-insensitively, as encoding/json does. Bad strings and
// repeated keys are refused rather than repaired (U+FFFD) or resolved (the
// last wins) by encoding/json: content is stored exactly as sent, or not
// at all (strictjson).
func Bind(c *gin.Context, dst any) bool {
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		WriteProblem(c, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	body := c.Request.Body
	if body == nil {
		body = http.NoBody
	}
	// Read whole (BodyLimit bounds it; the decoder would buffer the value
	// anyway) so that the raw bytes can be checked before decoding.
	raw, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteProblem(c, http.StatusRequestEntityTooLarge, tooLarge(tooBig.Limit))
			return false
		}
		// Typically the client went away mid-body.
		_ = c.Error(err)
		WriteProblem(c, http.StatusBadRequest, "cannot read request body")
		return false
	}
	if err := strictjson.Check(raw); err != nil {
		WriteProblem(c, http.StatusBadRequest, "request body: "+err.Error())
		return false
	}

	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		decodeProblem(c, err)
		return false
	}
	// Exactly one value: "{...} {...}" or "{...}x" is a client bug worth
	// reporting, not something to guess about.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		WriteProblem(c, http.StatusBadRequest, "request body must contain a single JSON value")
		return false
	}

	if errs := validateStruct(dst); len(errs) > 0 {
		WriteProblem(c, http.StatusUnprocessableEntity, "request body failed validation", errs...)
		return false
	}
	return true
}

// decodeProblem answers a json.Decoder error with the most precise problem.
func decodeProblem(c *gin.Context, err error) {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		invalid *json.InvalidUnmarshalError
	)
	switch {
	case errors.Is(err, io.EOF):
		WriteProblem(c, http.StatusBadRequest, "request body is required")
	case errors.As(err, &syntax):
		WriteProblem(c, http.StatusBadRequest,
			// Offset counts the bytes read, the offending one included, so it
			// is that byte's 1-based position.
			fmt.Sprintf("request body is not valid JSON: %s (at byte %d)", syntax.Error(), syntax.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		WriteProblem(c, http.StatusBadRequest, "request body is not valid JSON: unexpected end of input")
	case errors.As(err, &typ):
		if typ.Field == "" {
			WriteProblem(c, http.StatusBadRequest, "request body must be "+jsonType(typ.Type))
			return
		}
		msg := typeMessage(typ)
		WriteProblem(c, http.StatusBadRequest, fmt.Sprintf("field %q %s", typ.Field, msg),
			FieldError{Field: typ.Field, Message: msg})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; the message is stable.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		WriteProblem(c, http.StatusBadRequest, fmt.Sprintf("unknown field %q", name),
			FieldError{Field: name, Message: "is not a known field"})
	case errors.As(err, &invalid):
		panic(fmt.Sprintf("web.Bind: %v", err)) // dst is not a pointer: a bug
	default:
		// A field's own UnmarshalJSON/UnmarshalText refused the value (a bad
		// time or UUID); encoding/json does not say which field it was.
		WriteProblem(c, http.StatusBadRequest, "request body has an invalid value: "+err.Error())
	}
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// jsonType names the JSON type a Go type decodes from, with an article.
func jsonType(t reflect.Type) string {
	if t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string" // time.Time, uuid.UUID, ...
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonType(t.Elem())
	default:
		return "a " + t.String()
	}
}

// typeMessage says what is wrong with a value of the wrong type. An integer
// field given a number is either fractional or out of range, and the client
// deserves to know which.
func typeMessage(e *json.UnmarshalTypeError) string {
	want := jsonType(e.Type)
	if num, ok := strings.CutPrefix(e.Value, "number "); ok && want == "an integer" {
		if strings.ContainsAny(num, ".eE") {
			return "must be an integer"
		}
		return "is out of range"
	}
	return "must be " + want
}

// validateStruct runs the validator on dst and turns its report into one
// FieldError per invalid field. A dst that is not a struct has nothing to
// validate.
func validateStruct(dst any) []FieldError {
	err := structValidator().Struct(dst)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return nil
	}
	out := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		out = append(out, FieldError{Field: fieldPath(fe), Message: validationMessage(fe)})
	}
	return out
}
