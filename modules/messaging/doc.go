// Package messaging is the chat module: rooms (one global room everyone is
// in, public rooms anyone may join, private rooms managed by their owner,
// direct rooms between two users), messages with a gap-free per-room seq,
// read receipts, full-text search, and the events every change produces.
//
// This root package is the module's public face: Module (built by New) with
// the HTTP routes the api mounts under /api/chat, the use cases the
// gateway's commands call (SendMessages, History, MarkRead, CanRead), the
// command consumer (RunCommands), the outbox relay loop (RunRelay), the
// public types, the sentinel errors and the event stream schema
// (events.go, EVENTS.md), re-exported from the stream contract package
// wire, which the gateway imports alone. Everything else lives under
// internal/: domain rules, use cases (app), adapters (PostgreSQL through
// gorm, Redis streams) and the gin handlers.
//
// Throughput: messages that arrive together (one read of the command
// stream, concurrent REST sends on a busy api) are stored in one
// transaction, with the same guarantees as one by one: per-room seqs with
// no gap in arrival order, idempotency on (sender, clientMsgId), each event
// committed with its message, each answer sent after the commit.
//
// Delivery guarantee: a change and its event row are committed in one
// PostgreSQL transaction (transactional outbox); the relay publishes
// pending events to Redis in order per room and retries through outages,
// so no committed event is lost. Delivery is at least once: consumers drop
// duplicates by event id.
package messaging
