// Package bots is the bots module: bot accounts that programs drive with a
// long-lived token ("Authorization: Bot <token>") on REST and the sockets.
// A bot is a user (users.is_bot) that room owners add like any member. Its
// token is shown once at creation, stored as a SHA-256 hash in PostgreSQL
// (the record) and mirrored in Redis (authn.BotTokens) so the gateway, which
// has no database, can admit it; revoking deletes the mirror entry and
// closes the bot's sockets.
package bots
