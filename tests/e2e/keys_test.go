package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestKeyDirectory: devices publish keys bound to their session, one-time
// keys are claimed atomically under concurrency, and keys go with their
// session; members hear device-keys-changed.
func TestKeyDirectory(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	gw := startGateway(t, s, "gateway", nil)
	c := s.Client(t)
	dave, erin := newChat(t, s, c), newChat(t, s, c)
	erin.createRoom("private", dave.a.ID)
	we := connect(t, gw.WS(), erin.a.AccessToken)

	d := newE2EEDevice(t, dave)
	d.publish(t, 1, 50)
	if f := jsonOf[map[string]any](t, we.expect(t, "device-keys-changed").Data); f["userId"] != dave.a.ID {
		t.Errorf("device-keys-changed = %v, want dave's", f)
	}
	var count struct {
		OneTimeKeys int `json:"oneTimeKeys"`
	}
	dave.want(http.StatusOK, &count, http.MethodGet, "/api/keys/count", nil)
	if count.OneTimeKeys != 50 {
		t.Fatalf("count = %d, want 50", count.OneTimeKeys)
	}

	t.Run("bad input", func(t *testing.T) {
		for name, body := range map[string]any{
			"another session's id": map[string]any{"deviceId": erin.a.SessionID, "identityKey": b64(make([]byte, 32)),
				"signedPreKey": map[string]any{"keyId": 1, "publicKey": b64(make([]byte, 32)), "signature": b64(make([]byte, 64))}},
			"not base64": map[string]any{"deviceId": dave.a.SessionID, "identityKey": "%%%",
				"signedPreKey": map[string]any{"keyId": 1, "publicKey": b64(make([]byte, 32)), "signature": b64(make([]byte, 64))}},
			"no signed prekey": map[string]any{"deviceId": dave.a.SessionID, "identityKey": b64(make([]byte, 32))},
		} {
			if res := dave.do(http.MethodPut, "/api/keys/device", body); res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest {
				t.Errorf("%s: %s, want 400/422", name, res)
			}
		}
		// No bundle yet: one-time keys have no device to go to.
		fresh := newChat(t, s, c)
		res := fresh.do(http.MethodPost, "/api/keys/one-time", map[string]any{"keys": []map[string]any{{"keyId": 1, "publicKey": b64(make([]byte, 32))}}})
		if res.Status != http.StatusConflict {
			t.Errorf("one-time keys before the bundle: %s, want 409", res)
		}
		// A stranger (no shared room) claims nothing.
		if got := claim(t, fresh, dave.a.ID); len(got) != 0 {
			t.Errorf("a stranger claimed %d devices of dave's", len(got))
		}
	})

	t.Run("sixty concurrent claims of fifty keys", func(t *testing.T) {
		const claimers = 60
		keys := make([]*int64, claimers)
		var wg sync.WaitGroup
		errs := make(chan error, claimers)
		for i := range claimers {
			wg.Go(func() {
				body, _ := json.Marshal(map[string]any{"userIds": []string{dave.a.ID}})
				req, _ := http.NewRequest(http.MethodPost, s.APIs[0].URL()+"/api/keys/claim", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+erin.a.AccessToken)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				defer res.Body.Close()
				var out struct {
					Devices []claimedDevice `json:"devices"`
				}
				if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK || len(out.Devices) != 1 {
					errs <- fmt.Errorf("claim %d: status %d, %d devices, %v", i, res.StatusCode, len(out.Devices), err)
					return
				}
				if k := out.Devices[0].OneTimeKey; k != nil {
					keys[i] = &k.KeyID
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen, nulls := map[int64]int{}, 0
		for _, k := range keys {
			if k == nil {
				nulls++
				continue
			}
			seen[*k]++
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("one-time key %d handed out %d times", id, n)
			}
		}
		if len(seen) != 50 || nulls != 10 {
			t.Errorf("%d distinct keys and %d nulls, want 50 and 10", len(seen), nulls)
		}
		dave.want(http.StatusOK, &count, http.MethodGet, "/api/keys/count", nil)
		if count.OneTimeKeys != 0 {
			t.Errorf("count after the claims = %d, want 0", count.OneTimeKeys)
		}
		if got := claim(t, erin, dave.a.ID); len(got) != 1 || got[0].OneTimeKey != nil || got[0].DeviceID != dave.a.SessionID {
			t.Errorf("claim of an exhausted device = %+v, want its bundle with oneTimeKey null", got)
		}
		if n := d.upload(t, 100, 5); n != 5 {
			t.Errorf("count after topping up = %d, want 5", n)
		}
	})

	t.Run("keys vanish with their session", func(t *testing.T) {
		laptop := loginDevice(t, s, c, dave, "laptop")
		l := newE2EEDevice(t, laptop)
		l.publish(t, 1, 3)
		we.expect(t, "device-keys-changed")
		if got := claim(t, erin, dave.a.ID); len(got) != 2 {
			t.Fatalf("claim = %d devices, want dave's 2", len(got))
		}
		laptop.want(http.StatusNoContent, nil, http.MethodPost, "/api/auth/logout", nil)
		if f := jsonOf[map[string]any](t, we.expect(t, "device-keys-changed").Data); f["userId"] != dave.a.ID {
			t.Errorf("device-keys-changed after the logout = %v", f)
		}
		got := claim(t, erin, dave.a.ID)
		if len(got) != 1 || got[0].DeviceID != dave.a.SessionID {
			t.Errorf("claim after the laptop logged out = %+v, want only dave's first device", got)
		}
		var rows int
		conn, err := pgx.Connect(t.Context(), s.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		if err := conn.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM device_keys WHERE session_id = $1) + (SELECT count(*) FROM one_time_keys WHERE session_id = $1)`,
			laptop.a.SessionID).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 0 {
			t.Errorf("%d key rows left of the logged-out session", rows)
		}
	})
}

// TestEncryptedRoom: two Go clients agree keys through the directory
// (X25519, HKDF, AES-GCM) and talk in an encrypted room through the real
// binaries; plaintext is refused, and neither a database dump nor the logs
// hold any of the text.
func TestEncryptedRoom(t *testing.T) {
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pg_dump is required (Debian package postgresql-client)")
		}
		t.Skip("pg_dump not installed")
	}
	s := harness.NewStack(t, harness.Options{})
	gw := startGateway(t, s, "gateway", nil)
	c := s.Client(t)
	frank, grace := newChat(t, s, c), newChat(t, s, c)
	fd, gd := newE2EEDevice(t, frank), newE2EEDevice(t, grace)
	fd.publish(t, 1, 5)
	gd.publish(t, 1, 5)

	var room chatRoom
	frank.want(http.StatusCreated, &room, http.MethodPost, "/api/chat/rooms", map[string]any{
		"name": "secret", "kind": "private", "memberIds": []string{grace.a.ID}, "encrypted": true})
	var detail struct {
		Encrypted bool `json:"encrypted"`
	}
	grace.want(http.StatusOK, &detail, http.MethodGet, "/api/chat/rooms/"+room.ID, nil)
	if !detail.Encrypted {
		t.Fatal("room detail does not say encrypted")
	}
	secret := func(what string) string { return what + " " + strings.ToLower(rand.Text()) }
	texts := []string{secret("attack at dawn"), secret("bring the blue folder")}

	wf, wg := connect(t, gw.WS(), frank.a.AccessToken), connect(t, gw.WS(), grace.a.AccessToken)
	wf.join(t, room.ID, -1)
	wg.join(t, room.ID, -1)

	// frank -> grace over the socket, for grace's device and his own.
	devs := claim(t, frank, grace.a.ID, frank.a.ID)
	if len(devs) != 1 || devs[0].DeviceID != grace.a.SessionID || devs[0].OneTimeKey == nil {
		t.Fatalf("frank's claim = %+v, want grace's device with a one-time key (not his own current one)", devs)
	}
	wf.send("send-message", "s1", map[string]any{"roomId": room.ID, "clientMsgId": "e2e-1",
		"ciphertext": fd.ciphertextFor(t, devs, texts[0])})
	if f := wf.ExpectRef(t, "s1", "ack", "error"); f.Event != "ack" {
		t.Fatalf("encrypted send-message: %s", f.Data)
	}
	got := jsonOf[map[string]any](t, wg.expect(t, "receive-message").Data)
	if got["content"] != "" {
		t.Errorf("content of an encrypted message = %q", got["content"])
	}
	ct, _ := got["ciphertext"].(map[string]any)
	if text, err := gd.decrypt(ct); err != nil || text != texts[0] {
		t.Fatalf("grace decrypts %q, %v; want %q", text, err, texts[0])
	}

	// grace -> frank over REST.
	back := claim(t, grace, frank.a.ID)
	var sent map[string]any
	grace.want(http.StatusCreated, &sent, http.MethodPost, "/api/chat/messages", map[string]any{
		"roomId": room.ID, "ciphertext": gd.ciphertextFor(t, back, texts[1])})
	for got = nil; got["id"] != sent["id"]; { // frank's socket also gets his own message
		got = jsonOf[map[string]any](t, wf.expect(t, "receive-message").Data)
	}
	if text, err := fd.decrypt(got["ciphertext"].(map[string]any)); err != nil || text != texts[1] {
		t.Fatalf("frank decrypts %q, %v; want %q", text, err, texts[1])
	}

	t.Run("history and resume carry the ciphertext", func(t *testing.T) {
		var page struct {
			Items []map[string]any `json:"items"`
		}
		grace.want(http.StatusOK, &page, http.MethodGet, "/api/chat/messages?roomId="+room.ID+"&after=0", nil)
		if len(page.Items) != 2 {
			t.Fatalf("history has %d messages, want 2", len(page.Items))
		}
		if text, err := gd.decrypt(page.Items[0]["ciphertext"].(map[string]any)); err != nil || text != texts[0] {
			t.Errorf("history: %q, %v", text, err)
		}
		w := connect(t, gw.WS(), grace.a.AccessToken)
		_, replayed := w.join(t, room.ID, 0)
		if len(replayed) != 2 {
			t.Fatalf("resume replayed %d, want 2", len(replayed))
		}
	})

	t.Run("plaintext and misuse refused", func(t *testing.T) {
		clear := []string{secret("in the clear"), secret("in the clear")}
		texts = append(texts, clear...) // refused, and not logged either
		res := frank.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room.ID, "content": clear[0]})
		wantProblem(t, res, http.StatusUnprocessableEntity, "content to an encrypted room", "content")
		wf.send("send-message", "p1", map[string]any{"roomId": room.ID, "content": clear[1]})
		if f := wf.ExpectRef(t, "p1", "ack", "error"); f.Event != "error" {
			t.Errorf("plaintext send-message over the socket was accepted: %s", f.Data)
		}
		plain := frank.createRoom("private", grace.a.ID)
		res = frank.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": plain.ID, "ciphertext": fd.ciphertextFor(t, devs, "x")})
		wantProblem(t, res, http.StatusUnprocessableEntity, "ciphertext to a plain room", "ciphertext")
		big := fd.ciphertextFor(t, devs, "x")
		big["recipients"].(map[string]string)[frank.a.SessionID] = b64(make([]byte, 300<<10))
		res = frank.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room.ID, "ciphertext": big})
		wantProblem(t, res, http.StatusUnprocessableEntity, "an oversized ciphertext", "ciphertext")
		res = frank.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room.ID, "ciphertext": gd.ciphertextFor(t, back, "x")})
		wantProblem(t, res, http.StatusUnprocessableEntity, "another device's senderDeviceId", "ciphertext.senderDeviceId")
		res = grace.do(http.MethodPatch, "/api/chat/messages/"+sent["id"].(string), map[string]any{"content": "edited"})
		if res.Status != http.StatusConflict {
			t.Errorf("edit in an encrypted room: %s, want 409", res)
		}
	})

	t.Run("no plaintext in the database dump or the logs", func(t *testing.T) {
		out, err := exec.Command(pgDump, "--data-only", s.DatabaseURL).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_dump: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte(room.ID)) {
			t.Fatal("the dump does not hold the room: wrong database?")
		}
		logs := gw.Logs()
		for _, a := range s.APIs {
			logs += a.Logs()
		}
		for _, text := range texts {
			if bytes.Contains(out, []byte(text)) {
				t.Errorf("the database dump holds %q", text)
			}
			if strings.Contains(logs, text) {
				t.Errorf("the logs hold %q", text)
			}
		}
	})
}
