package postgres

import (
	"database/sql/driver"
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
type textArray struct {
	elems     []string
	nullEmpty bool
}

// Value implements driver.Valuer.
func (a textArray) Value() (driver.Value, error) {
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
	return b.String(), nil
}

func texts(elems []string) textArray { return textArray{elems: elems} }

func int64s(ns []int64) textArray {
	elems := make([]string, len(ns))
	for i, n := range ns {
		elems[i] = strconv.FormatInt(n, 10)
	}
	return textArray{elems: elems}
}
