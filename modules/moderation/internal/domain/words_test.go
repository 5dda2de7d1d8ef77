package domain

import (
	"strings"
	"testing"
)

func TestWordListMatch(t *testing.T) {
	w := ParseWords(" Badword , scam link,")
	if err := w.ReadWords(strings.NewReader("# comment\n\nfrogspawn\n")); err != nil {
		t.Fatal(err)
	}
	if w.Len() != 3 {
		t.Fatalf("entries %d, want 3", w.Len())
	}
	for _, text := range []string{
		"this is a badword", "BADWORD!", "bädwörd", "b.a.d.w.o.r.d", "b a d w o r d", "b-a-d_w*o*r*d",
		"B4DW0RD", "baaaadwooord", "badwords everywhere", "ЬadwоrԁX badword", "visit the scam link now",
		"s c a m   l1nk", "FROGSPAWN", "fr0g$pawn", "frøgspåwn",
	} {
		if w.Match(text) == "" {
			t.Errorf("%q not matched", text)
		}
	}
	for _, text := range []string{"", "a good word", "bad word", "scam", "links and scams", "frogs spawn", "badwordsmith"} {
		if m := w.Match(text); m != "" {
			t.Errorf("%q matched %q", text, m)
		}
	}
}

func TestCountLinks(t *testing.T) {
	if n := CountLinks("see https://a.example/x and www.b.example and c.com/promo, not d.example"); n != 3 {
		t.Errorf("links %d, want 3", n)
	}
}
