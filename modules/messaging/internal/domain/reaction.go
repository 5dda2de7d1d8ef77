package domain

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// MaxReactionsPerMessage bounds the distinct emojis on one message: the
// counts travel with every copy of the message.
const MaxReactionsPerMessage = 50

// maxShortcodeLength bounds a :shortcode: name.
const maxShortcodeLength = 32

// Reaction is one user's reaction to a message.
type Reaction struct {
	Emoji     string
	UserID    string
	CreatedAt time.Time
}

// ValidateEmoji accepts one emoji (a single grapheme cluster starting with
// an emoji code point: pictographs, symbols, flags, keycaps, with their
// modifiers and joiners) or a :shortcode: of 1..32 characters a-z, 0-9,
// '_', '+', '-'.
func ValidateEmoji(s string) error {
	if len(s) >= 3 && s[0] == ':' && s[len(s)-1] == ':' {
		name := s[1 : len(s)-1]
		if len(name) > maxShortcodeLength {
			return invalid("emoji", "a :shortcode: has at most "+strconv.Itoa(maxShortcodeLength)+" characters")
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '+' || c == '-') {
				return invalid("emoji", "a :shortcode: holds only a-z, 0-9, _, + and -")
			}
		}
		return nil
	}
	if s == "" || !utf8.ValidString(s) || len(s) > 64 || uniseg.GraphemeClusterCount(s) != 1 {
		return invalid("emoji", "must be one emoji or a :shortcode:")
	}
	r, _ := utf8.DecodeRuneInString(s)
	if !emojiStart(r, s) {
		return invalid("emoji", "must be one emoji or a :shortcode:")
	}
	return nil
}

// emojiStart reports whether a cluster starting with r (the whole cluster
// is s) is an emoji: the Unicode blocks of emoji pictographs and symbols,
// and keycaps (a digit, # or * with U+20E3).
func emojiStart(r rune, s string) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // mahjong .. symbols and pictographs extended-A, flags
		r >= 0x2600 && r <= 0x27BF, // miscellaneous symbols, dingbats
		r >= 0x2300 && r <= 0x23FF, // miscellaneous technical (watch, hourglass...)
		r >= 0x2B00 && r <= 0x2BFF, // arrows, stars, squares
		r >= 0x2190 && r <= 0x21FF, // arrows
		r == 0x00A9, r == 0x00AE, r == 0x203C, r == 0x2049, r == 0x2122, r == 0x2139,
		r == 0x24C2, r == 0x25AA, r == 0x25AB, r == 0x25B6, r == 0x25C0, r >= 0x25FB && r <= 0x25FE,
		r == 0x3030, r == 0x303D, r == 0x3297, r == 0x3299:
		return true
	case r >= '0' && r <= '9', r == '#', r == '*':
		return len(s) > 1 && containsRune(s, 0x20E3)
	}
	return false
}

func containsRune(s string, want rune) bool {
	for _, r := range s {
		if r == want {
			return true
		}
	}
	return false
}

// CanReact allows members to react to a message that is not deleted.
func (m Message) CanReact(a Access) error {
	if err := a.CanChange(); err != nil {
		return err
	}
	if m.Deleted() {
		return because(ErrConflict, "a deleted message cannot get reactions")
	}
	return nil
}

// AddReaction counts one more emoji reaction; a new emoji beyond
// MaxReactionsPerMessage distinct ones is refused.
func (m *Message) AddReaction(emoji string) error {
	for i := range m.Reactions {
		if m.Reactions[i].Emoji == emoji {
			m.Reactions[i].Count++
			return nil
		}
	}
	if len(m.Reactions) >= MaxReactionsPerMessage {
		return because(ErrConflict, "a message has at most "+strconv.Itoa(MaxReactionsPerMessage)+" distinct reactions")
	}
	m.Reactions = append(m.Reactions, ReactionCount{Emoji: emoji, Count: 1})
	return nil
}

// RemoveReaction counts one emoji reaction less.
func (m *Message) RemoveReaction(emoji string) {
	for i := range m.Reactions {
		if m.Reactions[i].Emoji == emoji {
			if m.Reactions[i].Count--; m.Reactions[i].Count <= 0 {
				m.Reactions = append(m.Reactions[:i:i], m.Reactions[i+1:]...)
			}
			return
		}
	}
}
