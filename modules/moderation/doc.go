// Package moderation is automatic moderation: every new message, once
// stored, passes a classifier in the worker (never on the send path). The
// built-in classifier needs no network: blocked words and phrases matched
// through case, accents, look-alike letters, leetspeak, separators and
// stretched letters; link spam; flooding and repeated content per user and
// room. When MODERATION_URL is set, an OpenAI-compatible /v1/moderations
// endpoint is asked too, with a timeout and a circuit breaker, failing
// open. A flagged message is hidden (messaging.HideMessage: moderation on
// the message, message-updated to the room, content withheld from all but
// its moderators) and reported to the room's moderators
// (messaging.OpenReport).
package moderation
