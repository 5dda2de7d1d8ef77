// Package strictjson refuses what encoding/json quietly accepts in input
// from clients: invalid UTF-8 in strings and lone UTF-16 surrogate escapes
// (both decoded as U+FFFD, so the stored text is not what was sent), and
// duplicate object keys (the last one wins, so two parties can read two
// different values out of one request). It is a pre-scan of the raw bytes,
// run before encoding/json decodes them: one pass, no allocation unless an
// object has many keys or keys are escaped.
//
// It checks only these properties; JSON syntax is left to the decoder that
// follows (a malformed input may pass Check and is then refused there).
//
// Duplicate keys are compared as encoding/json matches struct fields:
// ignoring case (Unicode simple folding), after unescaping. {"seq":1,
// "SEQ":2} is a duplicate, because both would land in the same field.
package strictjson

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Kind is the class of a problem.
type Kind uint8

// The problems Check reports.
const (
	InvalidUTF8 Kind = iota + 1
	LoneSurrogate
	DuplicateKey
	UnknownField
)

// Error is a refused input: what and where.
type Error struct {
	Kind   Kind
	Offset int    // byte offset in the input where the problem starts
	Key    string // DuplicateKey, UnknownField: the key, unescaped (clipped to 64 bytes)
	Escape string // LoneSurrogate: the escape as written, e.g. `\ud800`
}

// Reason says what is wrong, without the position: for a client-facing
// message.
func (e *Error) Reason() string {
	switch e.Kind {
	case InvalidUTF8:
		return "a string is not valid UTF-8"
	case LoneSurrogate:
		return "a string has a lone UTF-16 surrogate " + e.Escape + " (not a character)"
	case DuplicateKey:
		return "duplicate key " + strconv.Quote(e.Key)
	case UnknownField:
		return "unknown field " + strconv.Quote(e.Key)
	}
	return "invalid JSON"
}

func (e *Error) Error() string { return fmt.Sprintf("%s (at byte %d)", e.Reason(), e.Offset+1) }

// Check scans data (one JSON text) for invalid UTF-8 in strings, lone
// surrogate escapes and duplicate keys, and returns an *Error for the
// first one found, or nil.
func Check(data []byte) error {
	if e := scan(data, nil); e != nil {
		return e
	}
	return nil
}

// CheckFields is Check that also refuses, in the outermost object only, a
// key for which known returns false (encoding/json's DisallowUnknownFields,
// without a json.Decoder). known gets the key unescaped; compare it as
// encoding/json would, ignoring case (bytes.EqualFold).
func CheckFields(data []byte, known func(key []byte) bool) error {
	if e := scan(data, known); e != nil {
		return e
	}
	return nil
}

// span is a key as written, between its quotes.
type span struct {
	start, end int
	plain      bool // ASCII without escapes: compared in place
}

// frame is an open object or array.
type frame struct {
	object    bool
	expectKey bool
	keyStart  int                 // index in the key list of this object's first key
	set       map[string]struct{} // folded keys, once the object has many
}

// linearKeys is how many keys an object may have before its duplicate
// check switches from comparing each new key with all previous ones to a
// map: quadratic work must stay small on a large hostile body.
const linearKeys = 16

// scanner is the input; the state (open containers, keys of the open
// objects) lives in scan's locals, so that small inputs need no heap.
type scanner struct {
	data  []byte
	known func([]byte) bool
}

func scan(data []byte, known func([]byte) bool) *Error {
	s := scanner{data: data, known: known}
	var stackBuf [8]frame
	var keyBuf [linearKeys]span
	stack, keys := stackBuf[:0], keyBuf[:0]
	d := data
	for i := 0; i < len(d); {
		switch d[i] {
		case '"':
			end, plain, err := s.str(i)
			if err != nil {
				return err
			}
			if end < 0 {
				return nil // unterminated: the decoder's to report
			}
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				stack[n-1].expectKey = false
				keys, err = s.key(keys, &stack[n-1], span{start: i + 1, end: end - 1, plain: plain}, i, n == 1)
				if err != nil {
					return err
				}
			}
			i = end
			continue
		case '{':
			stack = append(stack, frame{object: true, expectKey: true, keyStart: len(keys)})
		case '[':
			stack = append(stack, frame{keyStart: len(keys)})
		case '}', ']':
			if n := len(stack); n > 0 {
				keys = keys[:stack[n-1].keyStart]
				stack = stack[:n-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		}
		i++
	}
	return nil
}

// str scans the string whose opening quote is at data[q]; end is the index
// after its closing quote, or -1 if it has none. plain: ASCII and no
// escapes.
func (s scanner) str(q int) (end int, plain bool, err *Error) {
	d := s.data
	plain = true
	for i := q + 1; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			return i + 1, plain, nil
		case c < utf8.RuneSelf && c != '\\':
			i++
		case c == '\\':
			plain = false
			if i+1 < len(d) && d[i+1] == 'u' {
				if e := s.escape(i); e != nil {
					return 0, false, e
				}
				if r := hex4(d, i+2); r >= 0xd800 && r <= 0xdbff {
					i += 12 // with its low half (escape checked it)
					continue
				}
				i += 6
				continue
			}
			i += 2
		default:
			plain = false
			r, n := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && n == 1 {
				return 0, false, &Error{Kind: InvalidUTF8, Offset: i}
			}
			i += n
		}
	}
	return -1, plain, nil
}

// escape checks the \uXXXX escape at data[i]: a high surrogate must be
// followed by a \u escape of a low one, and a low one must not stand alone.
// A malformed escape is left to the decoder.
func (s scanner) escape(i int) *Error {
	d := s.data
	r := hex4(d, i+2)
	switch {
	case r >= 0xd800 && r <= 0xdbff:
		if i+11 < len(d) && d[i+6] == '\\' && d[i+7] == 'u' {
			if lo := hex4(d, i+8); lo >= 0xdc00 && lo <= 0xdfff {
				return nil
			}
		}
	case r >= 0xdc00 && r <= 0xdfff:
	default:
		return nil
	}
	return &Error{Kind: LoneSurrogate, Offset: i, Escape: string(d[i : i+6])}
}

// hex4 is the value of the four hex digits at data[i:], or -1.
func hex4(d []byte, i int) int {
	if i+4 > len(d) {
		return -1
	}
	v := 0
	for _, c := range d[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | int(c)
	}
	return v
}
