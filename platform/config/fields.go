package config

import (
	"reflect"
	"strings"
)

// fieldKey is the environment variable of one struct field.
type fieldKey struct {
	key    string
	secret bool
}

// envKey returns the variable name of a field's `env` tag ("" when none) and
// whether the field is skipped ("-").
func envKey(sf reflect.StructField) (key string, ignored bool) {
	key, _, _ = strings.Cut(sf.Tag.Get("env"), ",")
	return key, key == "-"
}

func isSecret(sf reflect.StructField) bool { return sf.Tag.Get("secret") == "true" }

// isBlock reports whether a field is a nested group of settings (a struct
// with no variable of its own) that caarlos0/env descends into.
func isBlock(sf reflect.StructField) bool {
	key, _ := envKey(sf)
	t := sf.Type
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return key == "" && t.Kind() == reflect.Struct
}

// envKeysByField maps Go field names to the variables they read, following
// the envPrefix rules of caarlos0/env, because its parse errors name the Go
// field while an operator knows the variable.
func envKeysByField(t reflect.Type) map[string][]fieldKey {
	out := make(map[string][]fieldKey)
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			if isBlock(sf) {
				walk(sf.Type, prefix+sf.Tag.Get("envPrefix"))
				continue
			}
			if key, ignored := envKey(sf); key != "" && !ignored {
				out[sf.Name] = append(out[sf.Name], fieldKey{key: prefix + key, secret: isSecret(sf)})
			}
		}
	}
	walk(t, "")
	return out
}

// validateAll calls Validate on rv (an addressable value) and on every
// exported field below it that implements validator.
func validateAll(rv reflect.Value) []error {
	var errs []error
	if rv.CanAddr() {
		if v, ok := rv.Addr().Interface().(validator); ok {
			errs = append(errs, flatten(v.Validate())...)
		}
	}
	if rv.Kind() != reflect.Struct {
		return errs
	}
	for i := range rv.NumField() {
		if !rv.Type().Field(i).IsExported() {
			continue
		}
		fv := rv.Field(i)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		errs = append(errs, validateAll(fv)...)
	}
	return errs
}
