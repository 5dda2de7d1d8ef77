// Package domain holds automatic moderation's pure rules: how text is
// normalized so that obfuscated words still match, the word list, link
// counting, and what a verdict is.
package domain

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Input is a message to classify.
type Input struct {
	MessageID string
	RoomID    string
	UserID    string
	Content   string
	// Edit marks an edited message: judged on its words and links only,
	// it is not counted again for flooding or repeats.
	Edit bool
}

// Verdict is a classifier's answer: Flagged with a Reason for people (the
// message's moderation reason and the report's).
type Verdict struct {
	Flagged bool
	Reason  string
}

// leet maps the digits and symbols commonly typed for letters.
var leet = map[rune]rune{
	'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '6': 'g', '7': 't', '8': 'b', '9': 'g',
	'@': 'a', '$': 's', '!': 'i', '|': 'l', '+': 't', '€': 'e', '£': 'l',
}

// lookalike maps Cyrillic and Greek letters that look like Latin ones, and
// the Latin letters NFKD does not decompose (ø, ł, đ...).
var lookalike = map[rune]rune{
	'ø': 'o', 'ł': 'l', 'đ': 'd', 'ð': 'd', 'ß': 's', 'æ': 'a', 'œ': 'o', 'ı': 'i', 'ħ': 'h', 'ŧ': 't',
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't',
	'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ɡ': 'g',
	'α': 'a', 'β': 'b', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
}

// fold lower-cases r, strips its accents (NFKD, combining marks dropped
// by the caller) and maps look-alikes and leetspeak to letters.
func fold(r rune) rune {
	r = unicode.ToLower(r)
	if m, ok := lookalike[r]; ok {
		return m
	}
	if m, ok := leet[r]; ok {
		return m
	}
	return r
}

// Tokens normalizes text into the words it spells: NFKD with combining
// marks dropped (accents), case folded, look-alike letters and leetspeak
// mapped, every character that is not a letter inside a word dropped
// ("b.a-d" -> "bad"), runs of one letter squeezed ("baaad" -> "bad"),
// and runs of single-letter words joined ("b a d" -> "bad").
func Tokens(text string) []string {
	var out []string
	var single strings.Builder
	flushSingle := func() {
		if single.Len() > 0 {
			out = append(out, single.String())
			single.Reset()
		}
	}
	for _, field := range strings.Fields(norm.NFKD.String(text)) {
		// Trailing punctuation ends a sentence ("word!"), it spells no
		// letter; leading and inner symbols may ("$cam", "fr0g$pawn").
		field = strings.TrimRightFunc(field, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		var b strings.Builder
		var last rune
		for _, r := range field {
			if unicode.Is(unicode.Mn, r) {
				continue
			}
			r = fold(r)
			if !unicode.IsLetter(r) || r == last {
				continue
			}
			b.WriteRune(r)
			last = r
		}
		w := b.String()
		switch {
		case w == "":
		case len([]rune(w)) == 1:
			single.WriteString(w)
		default:
			flushSingle()
			out = append(out, w)
		}
	}
	flushSingle()
	// Squeeze again: joined single letters may repeat ("b a a d").
	for i, w := range out {
		out[i] = squeeze(w)
	}
	return out
}

func squeeze(w string) string {
	var b strings.Builder
	var last rune
	for _, r := range w {
		if r != last {
			b.WriteRune(r)
		}
		last = r
	}
	return b.String()
}
