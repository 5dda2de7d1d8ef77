package authn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// BotTokenPrefix starts every bot token, so a leaked one is recognisable
// (secret scanners) and never mistaken for an access token.
const BotTokenPrefix = "cfbot_"

// botKeyPrefix keys the Redis mirror of live bot tokens:
// bot:token:<hex sha256 of the token> -> bot user id.
const botKeyPrefix = "bot:token:"

// botTokenLife is how far ahead a bot's Claims expire: bot tokens live
// until revoked, and a socket's expiry timer must not cut a bot off.
const botTokenLife = 10 * 365 * 24 * time.Hour

// ErrUnknownBotToken means a bot token matches no live bot (never issued,
// or revoked). Callers answer 401 like an invalid access token.
var ErrUnknownBotToken = errors.New("authn: unknown bot token")

// HashBotToken is what is stored of a bot token (PostgreSQL and Redis):
// its SHA-256. The token carries 256 random bits, so no salt or slow hash
// is needed.
func HashBotToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// BotResolver finds the bot a token belongs to. It returns
// ErrUnknownBotToken for no live bot; any other error is an outage.
type BotResolver interface {
	ResolveBot(ctx context.Context, token string) (Principal, error)
}

// BotTokens is the Redis mirror of live bot tokens, which lets a process
// without the database (the gateway) admit bots. PostgreSQL is the record;
// the api writes here on creation, deletes on revocation and copies the
// live ones back (Put) after Redis lost them. Safe for concurrent use.
type BotTokens struct{ rdb redis.UniversalClient }

// NewBotTokens returns the mirror on rdb.
func NewBotTokens(rdb redis.UniversalClient) *BotTokens { return &BotTokens{rdb: rdb} }

func botKey(hash [32]byte) string { return botKeyPrefix + hex.EncodeToString(hash[:]) }

// Put records that hash is the token of bot userID (no expiry).
func (b *BotTokens) Put(ctx context.Context, hash [32]byte, userID string) error {
	return b.rdb.Set(ctx, botKey(hash), userID, 0).Err()
}

// Delete forgets the token hash.
func (b *BotTokens) Delete(ctx context.Context, hash [32]byte) error {
	return b.rdb.Del(ctx, botKey(hash)).Err()
}

// Sync puts every live token (hash -> bot id) and deletes every revoked
// hash, in pipelined batches: the reseed of a whole table costs a few
// round trips, not one per bot.
func (b *BotTokens) Sync(ctx context.Context, live map[[32]byte]string, revoked [][32]byte) error {
	const batch = 500
	p := b.rdb.Pipeline()
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		_, err := p.Exec(ctx)
		n = 0
		return err
	}
	for h, id := range live {
		p.Set(ctx, botKey(h), id, 0)
		if n++; n == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, h := range revoked {
		p.Del(ctx, botKey(h))
		if n++; n == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// ResolveBot implements BotResolver from Redis alone.
func (b *BotTokens) ResolveBot(ctx context.Context, token string) (Principal, error) {
	id, err := b.rdb.Get(ctx, botKey(HashBotToken(token))).Result()
	if errors.Is(err, redis.Nil) {
		return Principal{}, ErrUnknownBotToken
	}
	if err != nil {
		return Principal{}, err
	}
	return BotPrincipal(id), nil
}

// BotPrincipal is the Principal of bot userID. Its SessionID is the bot's
// id: revoking the bot announces that id on RevokedChannel, which closes
// the bot's sockets like a revoked session's.
func BotPrincipal(userID string) Principal {
	return Principal{UserID: userID, SessionID: userID, Bot: true}
}

// BotClaims are the Claims a socket of bot p runs with: no token expiry.
func BotClaims(p Principal, now time.Time) Claims {
	return Claims{UserID: p.UserID, SessionID: p.SessionID, IssuedAt: now, ExpiresAt: now.Add(botTokenLife), Bot: true}
}

// Credentials splits an Authorization header into its scheme ("bearer" or
// "bot", lower-cased; "" for any other) and token. Schemes are
// case-insensitive (RFC 9110 §11.1).
func Credentials(header string) (scheme, token string) {
	s, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		return "", ""
	}
	switch {
	case strings.EqualFold(s, "Bearer"):
		return "bearer", tok
	case strings.EqualFold(s, "Bot"):
		return "bot", tok
	}
	return "", ""
}
