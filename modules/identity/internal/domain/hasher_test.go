package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// testParams keep tests fast; production costs are set by the module config.
var testParams = domain.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1}

func TestHasherRoundTrip(t *testing.T) {
	t.Parallel()
	h, err := domain.NewHasher(testParams)
	if err != nil {
		t.Fatal(err)
	}
	enc := h.Hash("correct horse")
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", enc)
	}
	if ok, err := h.Verify("correct horse", enc); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, err := h.Verify("correct horsE", enc); ok || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
	if enc == h.Hash("correct horse") {
		t.Error("two hashes of one password must differ (random salt)")
	}
}

func TestHasherReadsParamsFromHash(t *testing.T) {
	t.Parallel()
	old, _ := domain.NewHasher(domain.HashParams{Memory: 2048, Iterations: 2, Parallelism: 2})
	enc := old.Hash("p4ssword")
	cur, _ := domain.NewHasher(testParams)
	if ok, err := cur.Verify("p4ssword", enc); !ok || err != nil {
		t.Fatalf("hash made under other params must verify: %v, %v", ok, err)
	}
}

func TestHasherMalformed(t *testing.T) {
	t.Parallel()
	h, _ := domain.NewHasher(testParams)
	valid := h.Hash("p4ssword")
	parts := strings.Split(valid, "$")
	for _, enc := range []string{
		"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=1024,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=1024,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=1$!!!$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=1$" + parts[4] + "$AAAA",
	} {
		if _, err := h.Verify("p4ssword", enc); !errors.Is(err, domain.ErrMalformedHash) {
			t.Errorf("Verify(%q) err = %v; want ErrMalformedHash", enc, err)
		}
	}
}

func TestNewHasherRejectsWeakParams(t *testing.T) {
	t.Parallel()
	for _, p := range []domain.HashParams{
		{Memory: 1024, Iterations: 0, Parallelism: 1},
		{Memory: 1024, Iterations: 1, Parallelism: 0},
		{Memory: 8, Iterations: 1, Parallelism: 2},
		{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 4},
	} {
		if _, err := domain.NewHasher(p); err == nil {
			t.Errorf("NewHasher(%+v) accepted", p)
		}
	}
}
