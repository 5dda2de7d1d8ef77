package strictjson

import (
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// key records k, a key of the innermost open object f, whose opening
// quote is at q, in keys (the keys of the open objects, f's from
// f.keyStart); outermost says f is the top-level object.
func (s scanner) key(keys []span, f *frame, k span, q int, outermost bool) ([]span, *Error) {
	if outermost && s.known != nil && !s.known(s.raw(k)) {
		return keys, &Error{Kind: UnknownField, Offset: q, Key: clip(string(s.raw(k)))}
	}
	if f.set != nil {
		folded := fold(s.raw(k))
		if _, dup := f.set[folded]; dup {
			return keys, s.duplicate(k, q)
		}
		f.set[folded] = struct{}{}
		return keys, nil
	}
	for _, prev := range keys[f.keyStart:] {
		if s.same(prev, k) {
			return keys, s.duplicate(k, q)
		}
	}
	keys = append(keys, k)
	if len(keys)-f.keyStart >= linearKeys {
		f.set = make(map[string]struct{}, 2*linearKeys)
		for _, prev := range keys[f.keyStart:] {
			f.set[fold(s.raw(prev))] = struct{}{}
		}
		keys = keys[:f.keyStart]
	}
	return keys, nil
}

func (s scanner) duplicate(k span, q int) *Error {
	return &Error{Kind: DuplicateKey, Offset: q, Key: clip(string(s.raw(k)))}
}

// raw returns the key unescaped: in place when plain, else decoded (an
// allocation; escaped keys are rare). A malformed escape yields the bytes
// as written: the decoder will refuse the input anyway.
func (s scanner) raw(k span) []byte {
	b := s.data[k.start:k.end]
	if k.plain {
		return b
	}
	var str string
	if err := json.Unmarshal(s.data[k.start-1:k.end+1], &str); err != nil {
		return b
	}
	return []byte(str)
}

// same reports whether two keys name the same struct field for
// encoding/json.
func (s scanner) same(a, b span) bool {
	if a.plain && b.plain {
		x, y := s.data[a.start:a.end], s.data[b.start:b.end]
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if upperASCII(x[i]) != upperASCII(y[i]) {
				return false
			}
		}
		return true
	}
	return fold(s.raw(a)) == fold(s.raw(b))
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// fold is encoding/json's name folding: ASCII upper case, and for other
// runes upper(lower(r)), so that names equal under it decode into the same
// field.
func fold(in []byte) string {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			out = append(out, upperASCII(c))
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		out = utf8.AppendRune(out, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return string(out)
}

// clip bounds a key echoed in an error message.
func clip(k string) string {
	const limit = 64
	if len(k) <= limit {
		return k
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(k[cut]) {
		cut--
	}
	return k[:cut] + "..."
}
