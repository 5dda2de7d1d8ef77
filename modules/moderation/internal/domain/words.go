package domain

import (
	"bufio"
	"io"
	"slices"
	"strings"
)

// suffixes a blocked word may carry and still match (plurals, verb forms).
var suffixes = []string{"", "s", "es", "ed", "er", "ers", "ing", "y"}

// WordList is a set of blocked words and phrases, each kept as its Tokens.
// A message matches when the tokens of one entry appear consecutively in
// its tokens (the last one possibly with a common suffix). Whole words
// only: "class" does not match "ass".
type WordList struct{ entries [][]string }

// ParseWords reads entries separated by commas (MODERATION_BLOCKED_WORDS).
func ParseWords(list string) WordList {
	var w WordList
	for _, e := range strings.Split(list, ",") {
		w.add(e)
	}
	return w
}

// ReadWords adds one entry per line from r (MODERATION_WORDS_FILE); empty
// lines and lines starting with # are skipped.
func (w *WordList) ReadWords(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		w.add(line)
	}
	return sc.Err()
}

func (w *WordList) add(entry string) {
	t := Tokens(entry)
	if len(t) > 0 && !slices.ContainsFunc(w.entries, func(e []string) bool { return slices.Equal(e, t) }) {
		w.entries = append(w.entries, t)
	}
}

// Len is the number of entries.
func (w WordList) Len() int { return len(w.entries) }

// Match returns the first entry found in text (as normalized), or "".
func (w WordList) Match(text string) string {
	if len(w.entries) == 0 {
		return ""
	}
	toks := Tokens(text)
	for _, e := range w.entries {
		for i := 0; i+len(e) <= len(toks); i++ {
			if matchAt(toks[i:i+len(e)], e) {
				return strings.Join(e, " ")
			}
		}
	}
	return ""
}

func matchAt(toks, entry []string) bool {
	last := len(entry) - 1
	for i := range last {
		if toks[i] != entry[i] {
			return false
		}
	}
	for _, s := range suffixes {
		if toks[last] == squeeze(entry[last]+s) {
			return true
		}
	}
	return false
}
