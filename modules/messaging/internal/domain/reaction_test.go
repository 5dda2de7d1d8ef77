package domain

import (
	"errors"
	"testing"
)

func TestValidateEmoji(t *testing.T) {
	for _, ok := range []string{"😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "#️⃣", "1️⃣", ":+1:", ":thumbs_up:", ":a-b:"} {
		if err := ValidateEmoji(ok); err != nil {
			t.Errorf("ValidateEmoji(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "ab", "😀😀", "1", "::", ":Upper:", ":with space:", ": :", "\xff", "é",
		":" + string(make([]byte, 33)) + ":", "😀x"} {
		if err := ValidateEmoji(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateEmoji(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestReactionCounts(t *testing.T) {
	var m Message
	for _, e := range []string{"😀", ":x:", "😀"} {
		if err := m.AddReaction(e); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.Reactions) != 2 || m.Reactions[0] != (ReactionCount{"😀", 2}) || m.Reactions[1] != (ReactionCount{":x:", 1}) {
		t.Fatalf("counts = %+v", m.Reactions)
	}
	m.RemoveReaction(":x:")
	m.RemoveReaction("😀")
	if len(m.Reactions) != 1 || m.Reactions[0].Count != 1 {
		t.Fatalf("after removals = %+v", m.Reactions)
	}
	m.Reactions = nil
	for i := range MaxReactionsPerMessage {
		if err := m.AddReaction(":e" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ":"); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.AddReaction(":one_more:"); !errors.Is(err, ErrConflict) {
		t.Errorf("reaction %d = %v, want ErrConflict", MaxReactionsPerMessage+1, err)
	}
	if err := m.AddReaction(":eaa:"); err != nil {
		t.Errorf("an existing emoji past the bound: %v", err)
	}
}
