package socket

import (
	"context"
	"errors"
	"strings"

	"github.com/chatforge/chat/platform/authn"
)

// authenticate checks a socket's token, for /ws and Socket.IO alike. A bot
// token (authn.BotTokenPrefix, however it was sent) is looked up in the
// Redis mirror of live bot tokens; anything else is an access token,
// verified offline and checked against the revocations. refused, when not
// empty, says why the token is refused (401 / unauthorized); err is an
// outage (503 / unavailable): refusing then is safer than admitting a
// revoked session or bot.
func (g *Gateway) authenticate(ctx context.Context, token string) (claims authn.Claims, refused string, err error) {
	if strings.HasPrefix(token, authn.BotTokenPrefix) {
		p, err := g.Bots.ResolveBot(ctx, token)
		switch {
		case errors.Is(err, authn.ErrUnknownBotToken):
			return authn.Claims{}, "invalid or revoked bot token", nil
		case err != nil:
			return authn.Claims{}, "", err
		}
		return authn.BotClaims(p, g.Now()), "", nil
	}
	claims, err = g.Verifier.Verify(token, g.Now())
	if err != nil {
		if errors.Is(err, authn.ErrExpiredToken) {
			return authn.Claims{}, "access token expired", nil
		}
		return authn.Claims{}, "invalid access token", nil
	}
	revoked, err := g.Revocations.IsRevoked(ctx, claims.SessionID)
	if err != nil {
		return authn.Claims{}, "", err
	}
	if revoked {
		return authn.Claims{}, "session revoked", nil
	}
	return claims, "", nil
}
