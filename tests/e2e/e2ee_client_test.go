package e2e

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

// e2eeDevice is a test client's end-to-end encryption device: an Ed25519
// identity key that signs an X25519 signed prekey, and X25519 one-time
// prekeys. Its scheme (a reduced X3DH) is the test's, not the server's:
// the server only stores and hands out public keys.
//
// A message copy for a device is base64(ephemeral public key (32) ||
// one-time key id (8, big endian; all ones: none) || AES-256-GCM nonce
// (12) || sealed text), the key being HKDF-SHA256 over DH(ephemeral,
// signed prekey) || DH(ephemeral, one-time key).
type e2eeDevice struct {
	u        chat
	identity ed25519.PrivateKey
	signed   *ecdh.PrivateKey
	oneTime  map[int64]*ecdh.PrivateKey
}

const noOneTimeKey = ^uint64(0)

func newE2EEDevice(t *testing.T, u chat) *e2eeDevice {
	t.Helper()
	_, id, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spk, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &e2eeDevice{u: u, identity: id, signed: spk, oneTime: map[int64]*ecdh.PrivateKey{}}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// publish puts the device's bundle and n one-time keys, ids from first.
func (d *e2eeDevice) publish(t *testing.T, first int64, n int) {
	t.Helper()
	spk := d.signed.PublicKey().Bytes()
	d.u.want(http.StatusNoContent, nil, http.MethodPut, "/api/keys/device", map[string]any{
		"deviceId":    d.u.a.SessionID,
		"identityKey": b64(d.identity.Public().(ed25519.PublicKey)),
		"signedPreKey": map[string]any{"keyId": 1, "publicKey": b64(spk),
			"signature": b64(ed25519.Sign(d.identity, spk))},
	})
	if n > 0 {
		d.upload(t, first, n)
	}
}

func (d *e2eeDevice) upload(t *testing.T, first int64, n int) int {
	t.Helper()
	var keys []map[string]any
	for i := range n {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id := first + int64(i)
		d.oneTime[id] = k
		keys = append(keys, map[string]any{"keyId": id, "publicKey": b64(k.PublicKey().Bytes())})
	}
	var got struct {
		OneTimeKeys int `json:"oneTimeKeys"`
	}
	d.u.want(http.StatusOK, &got, http.MethodPost, "/api/keys/one-time", map[string]any{"keys": keys})
	return got.OneTimeKeys
}

// claimedDevice is one device of POST /api/keys/claim.
type claimedDevice struct {
	UserID       string `json:"userId"`
	DeviceID     string `json:"deviceId"`
	IdentityKey  string `json:"identityKey"`
	SignedPreKey struct {
		KeyID     int64  `json:"keyId"`
		PublicKey string `json:"publicKey"`
		Signature string `json:"signature"`
	} `json:"signedPreKey"`
	OneTimeKey *struct {
		KeyID     int64  `json:"keyId"`
		PublicKey string `json:"publicKey"`
	} `json:"oneTimeKey"`
}

func claim(t *testing.T, u chat, userIDs ...string) []claimedDevice {
	t.Helper()
	var out struct {
		Devices []claimedDevice `json:"devices"`
	}
	u.want(http.StatusOK, &out, http.MethodPost, "/api/keys/claim", map[string]any{"userIds": userIDs})
	return out.Devices
}

// sessionKey derives the AES key of one copy.
func sessionKey(dh1, dh2 []byte, from, to string) ([]byte, error) {
	return hkdf.Key(sha256.New, append(dh1, dh2...), nil, "chatforge-e2e-test v1 "+from+" "+to, 32)
}

// encryptFor seals text for a claimed device after checking its signed
// prekey's signature.
func encryptFor(dev claimedDevice, from, text string) (string, error) {
	idk, _ := base64.StdEncoding.DecodeString(dev.IdentityKey)
	spk, _ := base64.StdEncoding.DecodeString(dev.SignedPreKey.PublicKey)
	sig, _ := base64.StdEncoding.DecodeString(dev.SignedPreKey.Signature)
	if len(idk) != ed25519.PublicKeySize || !ed25519.Verify(idk, spk, sig) {
		return "", errors.New("signed prekey signature does not verify")
	}
	spkPub, err := ecdh.X25519().NewPublicKey(spk)
	if err != nil {
		return "", err
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	dh1, err := eph.ECDH(spkPub)
	if err != nil {
		return "", err
	}
	otkID, dh2 := noOneTimeKey, []byte{}
	if dev.OneTimeKey != nil {
		raw, _ := base64.StdEncoding.DecodeString(dev.OneTimeKey.PublicKey)
		pub, err := ecdh.X25519().NewPublicKey(raw)
		if err != nil {
			return "", err
		}
		if dh2, err = eph.ECDH(pub); err != nil {
			return "", err
		}
		otkID = uint64(dev.OneTimeKey.KeyID)
	}
	key, err := sessionKey(dh1, dh2, from, dev.DeviceID)
	if err != nil {
		return "", err
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	out := append(eph.PublicKey().Bytes(), binary.BigEndian.AppendUint64(nil, otkID)...)
	out = append(out, nonce...)
	return b64(gcm.Seal(out, nonce, []byte(text), nil)), nil
}

// decrypt opens the copy of a message meant for this device.
func (d *e2eeDevice) decrypt(ct map[string]any) (string, error) {
	recipients, _ := ct["recipients"].(map[string]any)
	copyB64, _ := recipients[d.u.a.SessionID].(string)
	from, _ := ct["senderDeviceId"].(string)
	raw, err := base64.StdEncoding.DecodeString(copyB64)
	if err != nil || len(raw) < 32+8+12+16 {
		return "", fmt.Errorf("no copy for device %s", d.u.a.SessionID)
	}
	eph, err := ecdh.X25519().NewPublicKey(raw[:32])
	if err != nil {
		return "", err
	}
	dh1, err := d.signed.ECDH(eph)
	if err != nil {
		return "", err
	}
	dh2 := []byte{}
	if id := binary.BigEndian.Uint64(raw[32:40]); id != noOneTimeKey {
		k := d.oneTime[int64(id)]
		if k == nil {
			return "", fmt.Errorf("unknown one-time key %d", id)
		}
		if dh2, err = k.ECDH(eph); err != nil {
			return "", err
		}
	}
	key, err := sessionKey(dh1, dh2, from, d.u.a.SessionID)
	if err != nil {
		return "", err
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	nonce := raw[40:52]
	text, err := gcm.Open(nil, nonce, raw[52:], nil)
	return string(text), err
}

// ciphertextFor encrypts text for every device in devs.
func (d *e2eeDevice) ciphertextFor(t *testing.T, devs []claimedDevice, text string) map[string]any {
	t.Helper()
	rec := map[string]string{}
	for _, dev := range devs {
		c, err := encryptFor(dev, d.u.a.SessionID, text)
		if err != nil {
			t.Fatalf("encrypt for %s: %v", dev.DeviceID, err)
		}
		rec[dev.DeviceID] = c
	}
	return map[string]any{"algorithm": "x25519-hkdf-sha256-aes256gcm", "senderDeviceId": d.u.a.SessionID, "recipients": rec}
}
