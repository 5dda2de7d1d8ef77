package authn

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// devKeyBits is the size of generated development keys.
const devKeyBits = 2048

// LoadPrivateKey reads an RSA private key from a PEM file, in PKCS#1
// ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") form.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authn: read private key: %w", err)
	}
	key, err := parsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("authn: private key %s: %w", path, err)
	}
	return key, nil
}

func parsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#8 key is %T, want RSA", k)
		}
		key = rk
	default:
		return nil, fmt.Errorf("unsupported PEM block %q (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
	if err := checkKeySize(&key.PublicKey); err != nil {
		return nil, err
	}
	return key, nil
}

// LoadOrCreateDevKey loads the RSA key at path, creating a 2048-bit one first
// if the file does not exist. It is for development and tests only (a
// production key is provisioned and read with LoadPrivateKey).
//
// Several local processes (api instances started together) may call it at
// once and must all end up signing with the same key: the new key is written
// to a temporary file in the same directory and hard-linked into place, which
// fails if another process won the race; the loser then loads the winner's
// key. The file is created 0600, missing parent directories 0700.
func LoadOrCreateDevKey(path string) (*rsa.PrivateKey, error) {
	key, err := LoadPrivateKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("authn: create key directory: %w", err)
	}
	key, err = rsa.GenerateKey(rand.Reader, devKeyBits)
	if err != nil {
		return nil, fmt.Errorf("authn: generate dev key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("authn: encode dev key: %w", err)
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, fmt.Errorf("authn: write dev key: %w", err)
	}
	// Read back what is on disk: if another process created the file first,
	// its key is the one everybody uses.
	return LoadPrivateKey(path)
}

// writeNew atomically creates path with data and mode 0600, leaving an
// existing file untouched. Readers never see a partly written file.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after Link it is a second name; drop it either way
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link, unlike Rename, never replaces an existing file: the first
	// process to get here wins and later ones keep the winner's key.
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return nil
	}
	// Filesystems without hard links: fall back to a no-clobber check plus
	// rename; a lost race then only costs the earlier process a restart.
	if _, statErr := os.Stat(path); statErr == nil {
		return nil
	}
	return os.Rename(tmp.Name(), path)
}

// LoadPublicKeyFile reads one or more RSA public keys from a PEM file
// ("PUBLIC KEY" in PKIX form or "RSA PUBLIC KEY" in PKCS#1 form) and returns
// them by kid (their RFC 7638 thumbprint, as the Signer names them). Several
// blocks in one file allow a key rotation: old and new keys both verify.
func LoadPublicKeyFile(path string) (map[string]*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authn: read public key: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey)
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		pub, err := parsePublicBlock(block)
		if err != nil {
			return nil, fmt.Errorf("authn: public key %s: %w", path, err)
		}
		keys[thumbprint(pub)] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("authn: public key %s: no PEM block found", path)
	}
	return keys, nil
}

func parsePublicBlock(block *pem.Block) (*rsa.PublicKey, error) {
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key is %T, want RSA", k)
		}
		pub = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = k
	default:
		return nil, fmt.Errorf("unsupported PEM block %q (want PUBLIC KEY or RSA PUBLIC KEY)", block.Type)
	}
	if err := checkKeySize(pub); err != nil {
		return nil, err
	}
	return pub, nil
}
