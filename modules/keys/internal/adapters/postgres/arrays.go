package postgres

import (
	"strconv"
	"strings"
)

// texts is a PostgreSQL array literal of strs, every element quoted and
// escaped, passed as one text parameter (the SQL casts it: ?::text[]).
func texts(strs []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range strs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// int64s is a PostgreSQL array literal of ns (?::bigint[]).
func int64s(ns []int64) string {
	b := []byte{'{'}
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, '}'))
}
