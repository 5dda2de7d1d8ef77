package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/SherClockHolmes/webpush-go"
)

// VAPIDKeys is an application server key pair (RFC 8292), base64url.
type VAPIDKeys struct {
	PublicKey  string `json:"publicKey"`
	PrivateKey string `json:"privateKey"`
}

// LoadVAPIDKeys reads a key pair from a JSON file {"publicKey","privateKey"}.
// With create set, a missing file is generated (mode 0600, directories
// made): development and tests get stable keys without configuration, and
// the api and the worker of one checkout read the same file.
func LoadVAPIDKeys(path string, create bool) (VAPIDKeys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return createVAPIDKeys(path)
	}
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: %w", err)
	}
	var k VAPIDKeys
	if err := json.Unmarshal(b, &k); err != nil || k.PublicKey == "" || k.PrivateKey == "" {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: %s: want {\"publicKey\",\"privateKey\"}", path)
	}
	return k, nil
}

func createVAPIDKeys(path string) (VAPIDKeys, error) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: generate: %w", err)
	}
	k := VAPIDKeys{PublicKey: pub, PrivateKey: priv}
	b, _ := json.MarshalIndent(k, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: %w", err)
	}
	// Written aside, then hard-linked into place: the file appears whole
	// or not at all, and when two processes start at once the loser of the
	// link reads the winner's keys.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vapid-*")
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return VAPIDKeys{}, fmt.Errorf("vapid keys: write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: write: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return LoadVAPIDKeys(path, false)
	} else if err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: %w", err)
	}
	return k, nil
}
