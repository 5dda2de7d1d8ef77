package authn_test

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chatforge/chat/platform/authn"
)

func TestLoadPrivateKeyFormats(t *testing.T) {
	t.Parallel()
	pkcs1 := testKey(t)
	pkcs8, err := authn.LoadPrivateKey("testdata/rsa_pkcs8.pem")
	if err != nil {
		t.Fatalf("PKCS#8: %v", err)
	}
	if !pkcs1.Equal(pkcs8) {
		t.Error("PKCS#1 and PKCS#8 files hold the same key but loaded differently")
	}
	for _, bad := range []string{"testdata/ed25519.pem", "testdata/rsa_public.pem", "testdata/missing.pem"} {
		if _, err := authn.LoadPrivateKey(bad); err == nil {
			t.Errorf("LoadPrivateKey(%s) succeeded", bad)
		}
	}
}

func TestLoadPublicKeyFile(t *testing.T) {
	t.Parallel()
	s, _ := newPair(t)
	keys, err := authn.LoadPublicKeyFile("testdata/rsa_public.pem")
	if err != nil {
		t.Fatalf("LoadPublicKeyFile: %v", err)
	}
	// The kid is the same thumbprint the signer puts in its tokens, so a
	// gateway configured with the public key file verifies them.
	pub, ok := keys[s.KeyID()]
	if !ok || len(keys) != 1 {
		t.Fatalf("keys = %v, want one under %q", keys, s.KeyID())
	}
	v := authn.NewVerifier(keys, issuer, audience)
	if _, err := v.Verify(sign(t, s, "u", "s", now), now); err != nil {
		t.Errorf("verify with file key: %v", err)
	}
	if !pub.Equal(&testKey(t).PublicKey) {
		t.Error("wrong public key")
	}
	if _, err := authn.LoadPublicKeyFile("testdata/ed25519.pem"); err == nil {
		t.Error("a private key file was accepted as a public key")
	}
}

func TestLoadOrCreateDevKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "jwt.pem")

	// Processes started together must agree on one key.
	const n = 3
	keys := make([]*rsa.PrivateKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = authn.LoadOrCreateDevKey(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreateDevKey #%d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("caller %d got a different key", i)
		}
	}
	if keys[0].N.BitLen() != 2048 {
		t.Errorf("key size = %d bits", keys[0].N.BitLen())
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("key dir mode = %v, want 0700", di.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	again, err := authn.LoadOrCreateDevKey(path)
	if err != nil || !again.Equal(keys[0]) {
		t.Errorf("second run: err=%v, same key=%v", err, again != nil && again.Equal(keys[0]))
	}
	if fromFile, err := authn.LoadPrivateKey(path); err != nil || !fromFile.Equal(keys[0]) {
		t.Errorf("LoadPrivateKey of the dev key: %v", err)
	}
}
