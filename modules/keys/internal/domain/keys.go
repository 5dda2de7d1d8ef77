// Package domain holds the key directory's rules in plain Go: what a
// device publishes for end-to-end encryption and what a claimer gets. The
// server only stores and hands out public keys; it never sees a private
// key or a message's plaintext.
package domain

import (
	"encoding/base64"
	"errors"
	"strconv"
)

// Limits of what a device may store.
const (
	// MaxUpload is how many one-time keys one upload carries.
	MaxUpload = 100
	// MaxStored is how many unclaimed one-time keys a device may hold.
	MaxStored = 500
	// MaxClaimUsers is how many users one claim names.
	MaxClaimUsers = 100
	// MaxKeyID bounds key ids (JavaScript's safe integers).
	MaxKeyID = 1<<53 - 1
)

// Sentinel errors; the HTTP edge maps them once.
var (
	// ErrInvalid: input breaks a rule; the error is an *InvalidError.
	ErrInvalid = errors.New("invalid input")
	// ErrForbidden: the caller may not act for that device.
	ErrForbidden = errors.New("forbidden")
	// ErrNoDevice: the caller's device has published no keys yet.
	ErrNoDevice = errors.New("no device keys")
	// ErrFull: the device already holds MaxStored one-time keys.
	ErrFull = errors.New("one-time key store full")
)

// InvalidError names the field that breaks a rule; it matches ErrInvalid.
type InvalidError struct{ Field, Message string }

func (e *InvalidError) Error() string        { return e.Field + ": " + e.Message }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, msg string) error { return &InvalidError{Field: field, Message: msg} }

// PreKey is a public key with the id the device gave it.
type PreKey struct {
	KeyID     int64
	PublicKey string // base64
}

// SignedPreKey is a prekey signed with the device's identity key.
type SignedPreKey struct {
	PreKey
	Signature string // base64
}

// Device is the public key bundle of one device (one session).
type Device struct {
	UserID       string
	DeviceID     string // the session id
	IdentityKey  string // base64
	SignedPreKey SignedPreKey
}

// Claimed is a device's bundle as handed to a claimer: OneTimeKey is nil
// when the device had none left.
type Claimed struct {
	Device
	OneTimeKey *PreKey
}

// Validate checks a published bundle: base64 keys of 16..128 bytes, a
// signature of 16..256 bytes, key ids 0..MaxKeyID.
func (d Device) Validate() error {
	if err := checkKey("identityKey", d.IdentityKey, 128); err != nil {
		return err
	}
	if err := d.SignedPreKey.PreKey.validate("signedPreKey"); err != nil {
		return err
	}
	return checkKey("signedPreKey.signature", d.SignedPreKey.Signature, 256)
}

// ValidateBatch checks an upload of one-time keys: 1..MaxUpload keys,
// distinct ids.
func ValidateBatch(keys []PreKey) error {
	if len(keys) == 0 || len(keys) > MaxUpload {
		return invalid("keys", "must hold 1 to "+strconv.Itoa(MaxUpload)+" keys")
	}
	seen := make(map[int64]bool, len(keys))
	for i, k := range keys {
		if err := k.validate("keys[" + strconv.Itoa(i) + "]"); err != nil {
			return err
		}
		if seen[k.KeyID] {
			return invalid("keys", "key ids must be distinct")
		}
		seen[k.KeyID] = true
	}
	return nil
}

func (k PreKey) validate(field string) error {
	if k.KeyID < 0 || k.KeyID > MaxKeyID {
		return invalid(field+".keyId", "must be 0 to "+strconv.FormatInt(MaxKeyID, 10))
	}
	return checkKey(field+".publicKey", k.PublicKey, 128)
}

// checkKey requires standard base64 of 16..maxBytes bytes.
func checkKey(field, s string, maxBytes int) error {
	if len(s) > base64.StdEncoding.EncodedLen(maxBytes) { // before decoding a huge string
		return invalid(field, "must be at most "+strconv.Itoa(maxBytes)+" bytes")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	switch {
	case err != nil:
		return invalid(field, "must be standard base64")
	case len(b) < 16:
		return invalid(field, "must be at least 16 bytes")
	case len(b) > maxBytes:
		return invalid(field, "must be at most "+strconv.Itoa(maxBytes)+" bytes")
	}
	return nil
}
