package postgres

import (
	"strconv"
	"strings"
)

// textArray passes a list as ONE PostgreSQL array parameter, written as an
// array literal, so a batch costs one statement whatever its size (gorm
// would expand a Go slice into "(?, ?, ...)" and change the SQL text with
// every length, defeating the prepared statement cache). The SQL casts it:
// ?::uuid[], ?::text[], ?::bigint[]. Every element is double-quoted with
// '"' and '\' backslash-escaped, which the array input syntax reads back as
// the exact string whatever it holds (commas, braces, quotes, newlines).
// With nullEmpty, "" elements are NULL instead.
//
// The literal goes as a plain string, which pgx sends in text format for
// the server to parse. A driver.Valuer (as this type used to be) made pgx
// parse the literal back into a Go slice to send it in binary: a sixth of
// the api's CPU under chat load went there.
type textArray struct {
	elems     []string
	nullEmpty bool
}

// literal returns the array literal of a.
func (a textArray) literal() string {
	n := 2
	for _, e := range a.elems {
		n += len(e) + 3
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('{')
	for i, e := range a.elems {
		if i > 0 {
			b.WriteByte(',')
		}
		if e == "" && a.nullEmpty {
			b.WriteString("NULL")
			continue
		}
		b.WriteByte('"')
		// Byte-wise is safe: '"' and '\' never occur inside a multi-byte
		// UTF-8 sequence.
		for j := 0; j < len(e); j++ {
			if e[j] == '"' || e[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(e[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// texts is the array literal of elems.
func texts(elems []string) string { return textArray{elems: elems}.literal() }

// nullableTexts is the array literal of elems, "" as NULL.
func nullableTexts(elems []string) string {
	return textArray{elems: elems, nullEmpty: true}.literal()
}

// int64s is the array literal of ns (digits need no quoting).
func int64s(ns []int64) string {
	b := make([]byte, 0, 2+len(ns)*8)
	b = append(b, '{')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '}')
	return string(b)
}
