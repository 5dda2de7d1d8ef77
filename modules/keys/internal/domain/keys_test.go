package domain

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func key(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

func TestDeviceValidate(t *testing.T) {
	good := Device{IdentityKey: key(32), SignedPreKey: SignedPreKey{PreKey: PreKey{KeyID: 1, PublicKey: key(32)}, Signature: key(64)}}
	if err := good.Validate(); err != nil {
		t.Fatalf("a good bundle: %v", err)
	}
	for name, mut := range map[string]func(*Device){
		"identity not base64":   func(d *Device) { d.IdentityKey = "%%" },
		"identity too short":    func(d *Device) { d.IdentityKey = key(8) },
		"identity too long":     func(d *Device) { d.IdentityKey = key(129) },
		"prekey id negative":    func(d *Device) { d.SignedPreKey.KeyID = -1 },
		"prekey id past 2^53":   func(d *Device) { d.SignedPreKey.KeyID = MaxKeyID + 1 },
		"signature missing":     func(d *Device) { d.SignedPreKey.Signature = "" },
		"signature too long":    func(d *Device) { d.SignedPreKey.Signature = key(257) },
		"url-safe base64 (-_)":  func(d *Device) { d.IdentityKey = strings.Repeat("-_", 22) },
		"prekey not base64 pad": func(d *Device) { d.SignedPreKey.PublicKey = "abc" },
	} {
		d := good
		mut(&d)
		if err := d.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestValidateBatch(t *testing.T) {
	if err := ValidateBatch([]PreKey{{1, key(32)}, {2, key(32)}}); err != nil {
		t.Fatal(err)
	}
	many := make([]PreKey, MaxUpload+1)
	for i := range many {
		many[i] = PreKey{int64(i), key(32)}
	}
	for name, b := range map[string][]PreKey{
		"empty":     nil,
		"too many":  many,
		"duplicate": {{1, key(32)}, {1, key(32)}},
		"bad key":   {{1, "!"}},
	} {
		if err := ValidateBatch(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
