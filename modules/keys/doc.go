// Package keys is the end-to-end encryption key directory
// (ARCHITECTURE.md section 10). Each device (a session) publishes an
// identity key and a signed prekey and uploads one-time prekeys; other
// members claim a bundle per device, each claim taking one one-time key
// atomically, and run the key agreement themselves. The server stores and
// hands out public keys only: private keys and plaintext never reach it.
// A device's keys live exactly as long as its session.
//
// Changes of a user's devices reach the sockets of the members of their
// rooms as device-keys-changed (package keyswire: a Redis pub/sub channel
// the gateways read).
package keys
