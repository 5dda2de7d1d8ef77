// Package keyswire is the contract between the key directory (api) and
// the gateways: a device-keys change published on a Redis pub/sub channel,
// for the gateways to tell the sockets of the users concerned. It holds no
// storage code, so the gateway links no database driver.
package keyswire

import (
	"encoding/json"
	"errors"
)

// Channel is the pub/sub channel of device-keys changes.
const Channel = "chat:device-keys"

// EventDeviceKeysChanged is the socket event: data {userId}.
const EventDeviceKeysChanged = "device-keys-changed"

// Change says UserID's devices changed; To lists the users to tell (the
// members of UserID's rooms, UserID included for their other devices).
type Change struct {
	UserID string   `json:"userId"`
	To     []string `json:"to"`
}

// Decode reads a channel message.
func Decode(b []byte) (Change, error) {
	var c Change
	if err := json.Unmarshal(b, &c); err != nil {
		return Change{}, err
	}
	if c.UserID == "" {
		return Change{}, errors.New("keyswire: change without userId")
	}
	return c, nil
}
