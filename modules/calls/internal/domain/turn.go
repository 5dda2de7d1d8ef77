package domain

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST API scheme is defined with HMAC-SHA1
	"encoding/base64"
	"strconv"
	"time"
)

// TURNCredential returns the username and password of the TURN REST API
// scheme (draft-uberti-behave-turn-rest, coturn's use-auth-secret): the
// username is "<expiry unix time>:<user>", the password the base64 of
// HMAC-SHA1(secret, username). A TURN server sharing the secret accepts them
// until expiry, with no call to the api.
func TURNCredential(secret, user string, expiry time.Time) (username, password string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + user
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
