package e2e

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// pushService is a local Web Push service for the tests. Like a real one it
// checks the VAPID authorization (RFC 8292: an ES256 JWT for its origin,
// signed by the key in k=), and, playing the browser, decrypts each push
// with the subscription's private keys (RFC 8291, aes128gcm). A push that
// fails either check is answered 400/401 and recorded as an error.
type pushService struct {
	srv *httptest.Server

	mu     sync.Mutex
	subs   map[string]*testSubscription
	errs   []string
	vapidK string // the application server key seen, base64url
}

// testSubscription is one browser subscription: its keys and what it got.
type testSubscription struct {
	ID       string
	Endpoint string
	P256DH   string // base64url uncompressed public key
	Auth     string // base64url 16-byte secret
	priv     *ecdh.PrivateKey
	secret   []byte
	status   int // answer to give; 0 = 201
	received []receivedPush
}

// receivedPush is one decrypted push.
type receivedPush struct {
	Topic   string
	Urgency string
	Payload pushPayload
}

// pushPayload is the notification JSON the worker sends.
type pushPayload struct {
	Type       string `json:"type"`
	RoomID     string `json:"roomId"`
	RoomName   string `json:"roomName"`
	SenderID   string `json:"senderId"`
	SenderName string `json:"senderName"`
	Preview    string `json:"preview"`
	Count      int    `json:"count"`
	MessageID  string `json:"messageId"`
	Seq        int64  `json:"seq"`
}

func newPushService(t *testing.T) *pushService {
	p := &pushService{subs: map[string]*testSubscription{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.Close()
		if errs := p.errors(); len(errs) > 0 {
			t.Errorf("push service saw bad pushes: %v", errs)
		}
	})
	return p
}

// subscribe makes a browser-side subscription (key pair and auth secret).
func (p *pushService) subscribe(t *testing.T) *testSubscription {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	id := fmt.Sprintf("%x", secret[:8])
	s := &testSubscription{
		ID: id, Endpoint: p.srv.URL + "/push/" + id, priv: priv, secret: secret,
		P256DH: base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()),
		Auth:   base64.RawURLEncoding.EncodeToString(secret),
	}
	p.mu.Lock()
	p.subs[id] = s
	p.mu.Unlock()
	return s
}

// answer makes the service answer status to pushes for s (e.g. 410).
func (p *pushService) answer(s *testSubscription, status int) {
	p.mu.Lock()
	s.status = status
	p.mu.Unlock()
}

// pushes returns what s received so far.
func (p *pushService) pushes(s *testSubscription) []receivedPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]receivedPush(nil), s.received...)
}

func (p *pushService) errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

func (p *pushService) serve(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/push/")
	p.mu.Lock()
	s := p.subs[id]
	p.mu.Unlock()
	fail := func(status int, format string, args ...any) {
		p.mu.Lock()
		p.errs = append(p.errs, fmt.Sprintf(format, args...))
		p.mu.Unlock()
		http.Error(w, fmt.Sprintf(format, args...), status)
	}
	if r.Method != http.MethodPost || s == nil {
		http.Error(w, "no such subscription", http.StatusNotFound)
		return
	}
	if err := p.checkVAPID(r.Header.Get("Authorization")); err != nil {
		fail(http.StatusUnauthorized, "vapid: %v", err)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		fail(http.StatusBadRequest, "headers: Content-Encoding %q TTL %q", r.Header.Get("Content-Encoding"), r.Header.Get("TTL"))
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8192))
	plain, err := decrypt(s, body)
	if err != nil {
		fail(http.StatusBadRequest, "decrypt: %v", err)
		return
	}
	var pl pushPayload
	if err := json.Unmarshal(plain, &pl); err != nil {
		fail(http.StatusBadRequest, "payload %q: %v", plain, err)
		return
	}
	p.mu.Lock()
	status := s.status
	if status == 0 {
		s.received = append(s.received, receivedPush{Topic: r.Header.Get("Topic"), Urgency: r.Header.Get("Urgency"), Payload: pl})
		status = http.StatusCreated
	}
	p.mu.Unlock()
	w.WriteHeader(status)
}

// checkVAPID verifies "vapid t=<jwt>, k=<key>" (RFC 8292 §3): ES256 signed
// by k, audience this service's origin, unexpired (at most 24 h), with a
// mailto: or https: subject.
func (p *pushService) checkVAPID(h string) error {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return fmt.Errorf("authorization %q is not vapid", h)
	}
	var tok, k string
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			tok = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return fmt.Errorf("k: %v", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return fmt.Errorf("k: %v", err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(p.srv.URL), jwt.WithExpirationRequired())
	if err != nil {
		return err
	}
	exp, _ := claims.GetExpirationTime()
	if time.Until(exp.Time) > 24*time.Hour {
		return errors.New("exp more than 24 h ahead")
	}
	if sub, _ := claims.GetSubject(); !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https:") {
		return fmt.Errorf("sub %q", sub)
	}
	p.mu.Lock()
	p.vapidK = k
	p.mu.Unlock()
	return nil
}

// decrypt opens an aes128gcm body (RFC 8188 framing, RFC 8291 keys).
func decrypt(s *testSubscription, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid length %d", idlen)
	}
	asPublic, ct := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ct)) > rs {
		return nil, errors.New("more than one record")
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, err
	}
	shared, err := s.priv.ECDH(as)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), s.priv.PublicKey().Bytes()...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, shared, s.secret, string(info), 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, err
	}
	// Padding: the last record ends with 0x02 then zeros.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 2 {
		return nil, errors.New("bad padding delimiter")
	}
	return plain[:i], nil
}
