package web

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

// structValidator returns the validator Bind uses. It is built once and
// shared: validator caches struct metadata per instance and is safe for
// concurrent use, and this instance is never reconfigured after creation, so
// sharing it is a cache, not mutable global state.
var structValidator = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by their JSON names, the only names clients know.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			return ""
		case "":
			return f.Name
		}
		return name
	})
	return v
})

// fieldPath is the JSON path of the field: the namespace without the root
// struct's type name ("Register.profile.name" -> "profile.name").
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

// validationMessage renders a failed rule in words a client developer (or an
// end user) understands. Rules not listed fall back to naming the rule.
func validationMessage(fe validator.FieldError) string {
	p := fe.Param()
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_without":
		return "is required"
	case "email":
		return "must be a valid email"
	case "url", "http_url":
		return "must be a valid URL"
	case "uuid", "uuid4", "uuid7":
		return "must be a valid UUID"
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(p), ", ")
	case "min", "gte":
		return bound(fe, "at least", p)
	case "max", "lte":
		return bound(fe, "at most", p)
	case "len":
		return bound(fe, "exactly", p)
	case "gt":
		return bound(fe, "more than", p)
	case "lt":
		return bound(fe, "less than", p)
	case "alphanum":
		return "must contain only letters and digits"
	case "ascii", "printascii":
		return "must contain only ASCII characters"
	case "datetime":
		return "must be a date-time in the layout " + p
	case "e164":
		return "must be a phone number in E.164 format"
	default:
		return fmt.Sprintf("failed the %q rule", fe.Tag())
	}
}

// bound phrases a size rule: characters for strings (the validator counts
// runes), items for collections, the value itself for numbers.
func bound(fe validator.FieldError, cmp, p string) string {
	switch fe.Kind() {
	case reflect.String:
		return "must be " + cmp + " " + p + plural(p, " character", " characters")
	case reflect.Slice, reflect.Array, reflect.Map:
		return "must contain " + cmp + " " + p + plural(p, " item", " items")
	default:
		return "must be " + cmp + " " + p
	}
}

func plural(n, one, many string) string {
	if n == "1" {
		return one
	}
	return many
}
