package domain

import (
	"encoding/base64"
	"strconv"

	"github.com/google/uuid"
)

// Encrypted rooms (ARCHITECTURE.md section 10). The server never holds
// their plaintext: a message carries Ciphertext instead of Content, one
// encrypted copy per recipient device, made and read by the clients.
//
// Rules decided here (README "End-to-end encryption"):
//   - a message of an encrypted room has Content "" and a Ciphertext;
//     content is refused, and so is a ciphertext in a plain room;
//   - attachments are refused in encrypted rooms: the server sniffs files
//     and makes thumbnails, which would expose them; clients that need
//     files encrypt them themselves and send the key in the ciphertext;
//   - edits are refused (ErrConflict): an edit would have to be encrypted
//     again for every device, so clients send a new message instead;
//   - deletion drops the ciphertext like any content; reactions and
//     replies work as in any room (their emoji and ids are not secret).

// DefaultMaxCiphertextBytes bounds a message's ciphertext (the sum of its
// base64 recipient copies); MESSAGE_CIPHERTEXT_MAX_BYTES overrides it.
const DefaultMaxCiphertextBytes = 256 << 10

// MaxRecipientDevices bounds the devices one encrypted message is for.
const MaxRecipientDevices = 1000

// Ciphertext is an end-to-end encrypted message body: Algorithm names the
// client's scheme, SenderDeviceID the sending device (its session id),
// Recipients one base64 copy per recipient device id.
type Ciphertext struct {
	Algorithm      string
	SenderDeviceID string
	Recipients     map[string]string
}

// ValidateCiphertext checks a ciphertext's shape and size: an algorithm of
// 1..64 printable ASCII characters, UUID device ids, 1..MaxRecipientDevices
// copies, each valid standard base64, together at most maxBytes.
func ValidateCiphertext(c *Ciphertext, maxBytes int) error {
	if c == nil {
		return invalid("ciphertext", "is required in an encrypted room")
	}
	if n := len(c.Algorithm); n == 0 || n > 64 {
		return invalid("ciphertext.algorithm", "must be 1 to 64 characters")
	}
	for i := 0; i < len(c.Algorithm); i++ {
		if c.Algorithm[i] < 0x21 || c.Algorithm[i] > 0x7e {
			return invalid("ciphertext.algorithm", "must be printable ASCII without spaces")
		}
	}
	if uuid.Validate(c.SenderDeviceID) != nil || len(c.SenderDeviceID) != 36 {
		return invalid("ciphertext.senderDeviceId", "must be a UUID (the sending session's id)")
	}
	if len(c.Recipients) == 0 || len(c.Recipients) > MaxRecipientDevices {
		return invalid("ciphertext.recipients", "must hold 1 to "+strconv.Itoa(MaxRecipientDevices)+" device copies")
	}
	total := 0
	for dev, body := range c.Recipients {
		if uuid.Validate(dev) != nil || len(dev) != 36 {
			return invalid("ciphertext.recipients", "keys must be device ids (UUIDs)")
		}
		if body == "" {
			return invalid("ciphertext.recipients", "copies must not be empty")
		}
		if total += len(body); total > maxBytes {
			return invalid("ciphertext", "must be at most "+strconv.Itoa(maxBytes)+" bytes of base64 in all")
		}
		if _, err := base64.StdEncoding.DecodeString(body); err != nil {
			return invalid("ciphertext.recipients", "copies must be standard base64")
		}
	}
	return nil
}

// CheckBody applies the encryption rule of the room to a message that
// passed ValidateBody or ValidateCiphertext: an encrypted room takes a
// ciphertext and nothing else, a plain room no ciphertext.
func (a Access) CheckBody(content string, c *Ciphertext, attachments int) error {
	switch {
	case !a.Room.Encrypted && c != nil:
		return invalid("ciphertext", "is only for encrypted rooms: send content")
	case !a.Room.Encrypted:
		return nil
	case content != "":
		return invalid("content", "must be empty in an encrypted room: send ciphertext")
	case attachments > 0:
		return invalid("attachmentIds", "attachments are not allowed in an encrypted room")
	case c == nil:
		return invalid("ciphertext", "is required in an encrypted room")
	}
	return nil
}

// ErrEncryptedRoom explains the refusals of encrypted rooms (it matches
// ErrConflict).
var ErrEncryptedRoom = because(ErrConflict, "messages of an encrypted room cannot be edited: send a new one")
