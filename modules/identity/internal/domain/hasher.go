package domain

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id cost parameters.
type HashParams struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// Hasher hashes and verifies passwords with argon2id, encoded in the PHC
// string format `$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>` (unpadded
// standard base64), the format other argon2 libraries read. Safe for
// concurrent use.
//
// At most GOMAXPROCS hashes run at once; others wait. argon2id is memory-
// hard by design (64 MiB per hash by default), so without this bound a burst
// of logins would take memory in proportion to the burst, not to the CPUs
// that can actually work on it.
type Hasher struct {
	p   HashParams
	sem chan struct{}
}

// ErrMalformedHash: a stored hash is not a PHC argon2id string we can read.
var ErrMalformedHash = errors.New("malformed password hash")

// NewHasher validates p. SaltLen and KeyLen default to 16 and 32 bytes.
func NewHasher(p HashParams) (*Hasher, error) {
	if p.SaltLen == 0 {
		p.SaltLen = 16
	}
	if p.KeyLen == 0 {
		p.KeyLen = 32
	}
	switch {
	case p.Iterations < 1:
		return nil, errors.New("argon2id: iterations must be >= 1")
	case p.Parallelism < 1:
		return nil, errors.New("argon2id: parallelism must be >= 1")
	case p.Memory < 8*uint32(p.Parallelism):
		return nil, errors.New("argon2id: memory must be >= 8 KiB per lane")
	case p.SaltLen < 8 || p.KeyLen < 16:
		return nil, errors.New("argon2id: salt must be >= 8 bytes and key >= 16 bytes")
	}
	return &Hasher{p: p, sem: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// Hash returns the PHC encoding of password under a fresh random salt.
func (h *Hasher) Hash(password Password) string {
	salt := make([]byte, h.p.SaltLen)
	rand.Read(salt) // never fails (crypto/rand, Go >= 1.24)
	key := h.idKey(string(password), salt, h.p, h.p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.p.Memory, h.p.Iterations, h.p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches encoded. The parameters are read
// from encoded, not from h, so hashes made under older costs keep working.
// The comparison is constant-time. The password is not validated: it must
// be checked as typed, whatever rules applied when it was set.
func (h *Hasher) Verify(password, encoded string) (bool, error) {
	p, salt, key, err := decodePHC(encoded)
	if err != nil {
		return false, err
	}
	got := h.idKey(password, salt, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func (h *Hasher) idKey(password string, salt []byte, p HashParams, keyLen uint32) []byte {
	h.sem <- struct{}{}
	defer func() { <-h.sem }()
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, keyLen)
}

var b64 = base64.RawStdEncoding

// maxDecodeMemory bounds the memory cost accepted from a stored hash (4 GiB
// is argon2's own ceiling for uint32 KiB, far above sane settings); it only
// guards against a corrupted row making Verify allocate without bound.
const maxDecodeMemory = 1 << 22 // KiB = 4 GiB

func decodePHC(s string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(s, "$") // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	if p.Iterations < 1 || p.Parallelism < 1 || p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxDecodeMemory {
		return p, nil, nil, ErrMalformedHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
