package authn

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is what a verified access token says about its bearer.
type Claims struct {
	UserID    string
	SessionID string
	TokenID   string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Bot marks a bot's claims (BotClaims): no access token behind them.
	Bot bool
}

// tokenClaims is the wire form of an access token's payload: the registered
// claims plus the session id.
type tokenClaims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}
