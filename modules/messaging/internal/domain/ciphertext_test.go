package domain

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
)

const devA, devB = "0190a000-0000-7000-8000-00000000000a", "0190a000-0000-7000-8000-00000000000b"

func goodCiphertext() *Ciphertext {
	return &Ciphertext{Algorithm: "x3dh-aes256gcm", SenderDeviceID: devA,
		Recipients: map[string]string{devB: base64.StdEncoding.EncodeToString([]byte("sealed"))}}
}

func TestValidateCiphertext(t *testing.T) {
	if err := ValidateCiphertext(goodCiphertext(), 1024); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Ciphertext){
		"no algorithm":        func(c *Ciphertext) { c.Algorithm = "" },
		"algorithm w/ space":  func(c *Ciphertext) { c.Algorithm = "a b" },
		"sender not a uuid":   func(c *Ciphertext) { c.SenderDeviceID = "me" },
		"no recipients":       func(c *Ciphertext) { c.Recipients = nil },
		"recipient not uuid":  func(c *Ciphertext) { c.Recipients = map[string]string{"x": "AA=="} },
		"copy not base64":     func(c *Ciphertext) { c.Recipients = map[string]string{devB: "%%"} },
		"copy empty":          func(c *Ciphertext) { c.Recipients = map[string]string{devB: ""} },
		"over the size limit": func(c *Ciphertext) { c.Recipients = map[string]string{devB: strings.Repeat("A", 2048)} },
	} {
		c := goodCiphertext()
		mut(c)
		if err := ValidateCiphertext(c, 1024); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := ValidateCiphertext(nil, 1024); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil: %v", err)
	}
}

func TestCheckBody(t *testing.T) {
	enc := Access{Room: Room{Encrypted: true}}
	plain := Access{Room: Room{}}
	c := goodCiphertext()
	for name, tc := range map[string]struct {
		a       Access
		content string
		c       *Ciphertext
		atts    int
		ok      bool
	}{
		"ciphertext in an encrypted room": {enc, "", c, 0, true},
		"content in an encrypted room":    {enc, "hi", nil, 0, false},
		"nothing in an encrypted room":    {enc, "", nil, 0, false},
		"attachments in an encrypted":     {enc, "", c, 1, false},
		"content in a plain room":         {plain, "hi", nil, 0, true},
		"ciphertext in a plain room":      {plain, "", c, 0, false},
	} {
		if err := tc.a.CheckBody(tc.content, tc.c, tc.atts); (err == nil) != tc.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEditRefusedInEncryptedRoom(t *testing.T) {
	m := Message{UserID: "u", Ciphertext: goodCiphertext()}
	a := Access{Room: Room{Kind: KindPrivate, Encrypted: true}, Role: RoleMember}
	if _, err := m.Edit(a, "u", "x", m.CreatedAt, 0); !errors.Is(err, ErrConflict) {
		t.Errorf("edit: %v, want ErrConflict", err)
	}
	if changed, err := m.Delete(a, "u", m.CreatedAt.Add(1)); err != nil || !changed || m.Ciphertext != nil {
		t.Errorf("delete: changed %v, %v, ciphertext %v; want it dropped", changed, err, m.Ciphertext)
	}
}

func TestSyncDiff(t *testing.T) {
	prev := map[string]RoomState{
		"same":  {RoomID: "same", LastSeq: 3, Rev: 3, ReadSeq: 1},
		"moved": {RoomID: "moved", LastSeq: 3, Rev: 3, ReadSeq: 1},
		"read":  {RoomID: "read", LastSeq: 3, Rev: 3, ReadSeq: 1},
		"gone":  {RoomID: "gone"},
	}
	cur := []RoomState{
		{RoomID: "same", LastSeq: 3, Rev: 3, ReadSeq: 1},
		{RoomID: "moved", LastSeq: 4, Rev: 4, ReadSeq: 1},
		{RoomID: "read", LastSeq: 3, Rev: 3, ReadSeq: 3},
		{RoomID: "new"},
	}
	changed, left := SyncDiff(prev, cur)
	var ids []string
	for _, c := range changed {
		ids = append(ids, c.RoomID)
	}
	if !slices.Equal(ids, []string{"moved", "read", "new"}) || !slices.Equal(left, []string{"gone"}) {
		t.Errorf("changed %v left %v", ids, left)
	}
	if u := cur[1].Unread(); u != 3 {
		t.Errorf("unread %d", u)
	}
}
