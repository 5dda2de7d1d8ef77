// Package config reads a binary's configuration from environment variables
// (12-factor) into a struct tagged for github.com/caarlos0/env, validates it,
// and renders it for logging with secrets masked.
//
// A binary declares one struct, embeds the shared blocks (Runtime, Postgres,
// Redis) with `envPrefix:""`, and calls Parse once in run() with os.Environ(). Parse
// reports every problem at once so that an operator fixes a deployment in one
// round, and the binary exits instead of starting half-configured.
package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Error is returned by Parse and lists every problem found, each prefixed by
// the environment variable it concerns where that is known.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

// validator is implemented by configuration structs (and shared blocks) that
// check more than types: ranges, URL schemes, allowed values.
type validator interface {
	Validate() error
}

// Parse fills a struct tagged for caarlos0/env (`env:"NAME" envDefault:"..."`)
// from environ, a "KEY=VALUE" list such as os.Environ(). Then it calls
// Validate() error on T and on every nested field that has one (so embedded
// shared blocks are always validated). On failure it returns the zero T and
// an *Error listing every problem once.
//
// Validate errors should read "ENV_NAME: message": a message about a variable
// that already failed to parse is dropped as a consequence of that failure,
// and errors.Join results are listed one by one.
func Parse[T any](environ []string) (T, error) {
	var cfg T
	var list problems

	failed := make(map[string]bool)
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: env.ToMap(environ)}); err != nil {
		keys := envKeysByField(reflect.TypeOf(cfg))
		for _, e := range flatten(err) {
			key, msg := describe(e, keys)
			if key != "" {
				failed[key] = true
			}
			list.add(msg)
		}
	}

	for _, e := range validateAll(reflect.ValueOf(&cfg).Elem()) {
		msg := e.Error()
		if key, _, ok := strings.Cut(msg, ":"); ok && failed[key] {
			continue
		}
		list.add(msg)
	}

	if len(list.msgs) > 0 {
		var zero T
		return zero, &Error{Problems: list.msgs}
	}
	return cfg, nil
}

// problems collects messages once each: a struct's Validate may validate its
// embedded blocks too (explicitly or through a promoted method), and the
// operator needs each problem once.
type problems struct {
	msgs []string
	seen map[string]bool
}

func (p *problems) add(msg string) {
	if p.seen == nil {
		p.seen = make(map[string]bool)
	}
	if p.seen[msg] {
		return
	}
	p.seen[msg] = true
	p.msgs = append(p.msgs, msg)
}

// flatten expands errors.Join (and env.AggregateError) trees into a list.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// describe turns one caarlos0/env error into the variable it concerns (""
// when unknown) and a message naming that variable rather than the Go field.
func describe(err error, keys map[string][]fieldKey) (string, string) {
	var (
		notSet   env.VarIsNotSetError
		empty    env.EmptyVarError
		parse    env.ParseError
		loadFile env.LoadFileContentError
	)
	switch {
	case errors.As(err, &notSet):
		return notSet.Key, notSet.Key + ": required but not set"
	case errors.As(err, &empty):
		return empty.Key, empty.Key + ": must not be empty"
	case errors.As(err, &loadFile):
		return loadFile.Key, fmt.Sprintf("%s: cannot read file %q: %v", loadFile.Key, loadFile.Filename, loadFile.Err)
	case errors.As(err, &parse):
		candidates := keys[parse.Name]
		if len(candidates) != 1 {
			// Two blocks use the same Go field name: we cannot tell which
			// variable it was, so keep the library's wording.
			return "", fmt.Sprintf("field %s: invalid %s value", parse.Name, parse.Type)
		}
		k := candidates[0]
		if k.secret {
			// The parser's error may quote the value.
			return k.key, fmt.Sprintf("%s: invalid %s value", k.key, parse.Type)
		}
		var num *strconv.NumError
		if errors.As(parse.Err, &num) {
			return k.key, fmt.Sprintf("%s: invalid %s value %q: %v", k.key, parse.Type, num.Num, num.Err)
		}
		return k.key, fmt.Sprintf("%s: invalid %s value: %v", k.key, parse.Type, parse.Err)
	default:
		return "", err.Error()
	}
}
