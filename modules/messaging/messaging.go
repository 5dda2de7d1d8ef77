package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/adapters/postgres"
	redisadapter "github.com/chatforge/chat/modules/messaging/internal/adapters/redis"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/modules/messaging/internal/ports/httpapi"
	"github.com/chatforge/chat/modules/messaging/wire"
	"github.com/chatforge/chat/platform/tracing"
)

// Deps is what the module needs from its app. DB and Redis are required;
// Log defaults to discarding, Now to time.Now, Config zero fields to their
// defaults.
type Deps struct {
	DB     *gorm.DB
	Redis  redis.UniversalClient
	Log    *slog.Logger
	Config Config
	Now    func() time.Time
	// Metrics, when set, gets the api's hop latency histograms
	// (chat_command_wait_seconds, chat_send_batch_seconds,
	// chat_event_publish_seconds).
	Metrics prometheus.Registerer
	// Attachments, when set, lets messages carry attachments (attachmentIds
	// on send); apps/api passes the attachments module.
	Attachments AttachmentLinker
	// Tracing, when on, traces the commands, transactions and the outbox
	// relay (nil: off).
	Tracing *tracing.Tracing
}

// Ciphertext is an encrypted room's message body (see wire.Ciphertext).
type Ciphertext = wire.Ciphertext

// Attachment is a file a message carries (see wire.Attachment).
type Attachment = wire.Attachment

// AttachmentLinker is what messaging needs of the attachments module.
// Claim links uploads to a message inside tx, the transaction storing it
// (all or nothing; an ErrInvalid-wrapping error when an id is not the
// sender's own unattached upload in the room); ForMessages lists messages'
// attachments with fresh links; DropMessageAttachments deletes a deleted
// message's (the attachments module's never fails: its worker sweep
// removes what a failed drop leaves).
type AttachmentLinker interface {
	Claim(tx *gorm.DB, userID, roomID, messageID string, ids []string) ([]Attachment, error)
	ForMessages(ctx context.Context, messageIDs []string) (map[string][]Attachment, error)
	DropMessageAttachments(ctx context.Context, messageID string) error
}

// SyncKeyPrefix starts the Redis keys of sync tokens
// (chat:sync:{<userId>}:<token>).
const SyncKeyPrefix = "chat:sync:"

// Module is the messaging module, wired. It is safe for concurrent use.
type Module struct {
	app   *app.App
	relay *app.Relay
	// onCommit publishes new messages from the committing process; nil
	// with OUTBOX_RELAY_ONLY.
	onCommit *app.CommitPublisher
	store    *postgres.Store
	hops     *hopMetrics
	log      *slog.Logger
	cfg      Config
	trace    *tracing.Tracing
}

// New wires the module over its dependencies.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Redis == nil {
		return nil, errors.New("messaging: Deps.DB and Deps.Redis are required")
	}
	cfg := d.Config.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("messaging: %w", err)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	store := postgres.New(d.DB, encodeEventData, d.Now)
	var atts app.AttachmentReader
	if d.Attachments != nil {
		store.UseAttachments(d.Attachments)
		atts = store
	}
	a := app.New(app.Ports{
		Access: store, Messages: store, Batches: store, History: store, Receipts: store,
		Rooms: store, Reader: store, Lister: store, Members: store, Search: store, Changes: store, Reactions: store, Replies: store, Threads: store, ChangeLog: store,
		States: store, Snapshots: redisadapter.NewSnapshots(d.Redis, SyncKeyPrefix, cfg.SyncTokenTTL),
		Attachments: atts,
		Blocks:      store, Moderation: store, Reports: store, MessageReader: store, BlockMirror: redisadapter.NewBlockMirror(d.Redis),
	}, app.Options{MaxContentLength: cfg.MessageMaxLength, EditWindow: cfg.MessageEditWindow, Now: d.Now, DefaultMute: cfg.ModerationDefaultMute,
		MaxCiphertext: cfg.CiphertextMaxBytes, PublishOnCommit: !cfg.RelayOnly})
	partitions := cfg.StreamPartitions
	pub := redisadapter.New(d.Redis, func(roomID string) string { return RoomStream(roomID, partitions) }, cfg.StreamMaxLen).Traced(d.Tracing)
	hops := newHopMetrics(d.Metrics)
	relay := a.Relay(store, pub, app.RelayOptions{Batch: cfg.RelayBatch, Log: d.Log, ObservePublish: hops.observePublish})
	var onCommit *app.CommitPublisher
	if !cfg.RelayOnly {
		onCommit = app.NewCommitPublisher(pub, store, app.CommitPublisherOptions{Log: d.Log, ObservePublish: hops.observePublish})
		store.PublishOnCommit(onCommit.Publish, cfg.RelayGrace)
	}
	return &Module{app: a, relay: relay, onCommit: onCommit, store: store, hops: hops, log: d.Log, cfg: cfg, trace: d.Tracing}, nil
}

// Routes mounts the REST API on r under /api/chat (rooms, members,
// direct rooms, messages, read receipts, search; see the OpenAPI document).
// auth authenticates the caller (authn.Middleware); userLimit rate-limits
// per user after it. nil skips either.
func (m *Module) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	httpapi.New(m.app, m.log).Routes(r, auth, userLimit)
}

// SendMessage stores a message from userID: validated, authorized (members
// only; ErrNotFound for a room the user may not see, ErrForbidden for a
// public room not joined), given the room's next seq, and its event queued
// for the streams, all in one transaction. A repeated (userID, ClientMsgID)
// returns the first message and stores nothing. When the api is busy,
// concurrent calls (REST sends go the same way) are stored together, in one
// transaction, as by SendMessages; the outcome of each is the same.
func (m *Module) SendMessage(ctx context.Context, userID string, in SendInput) (Message, error) {
	msg, _, err := m.app.SendQueued(ctx, userID, app.SendInput(in))
	return messageFrom(msg), err
}

// SendMessages stores many messages, from any senders to any rooms, in one
// transaction: what a busy api does with the messages that arrive
// together. Each request gets the outcome SendMessage would have given it
// (same validation, authorization and idempotency): a failing one gets its
// error in its result without failing the others. Within a room, messages
// take seqs in the order of reqs. out[i] answers reqs[i].
func (m *Module) SendMessages(ctx context.Context, reqs []SendRequest) []SendResult {
	in := make([]app.SendRequest, len(reqs))
	for i, r := range reqs {
		in[i] = app.SendRequest{UserID: r.UserID, Input: app.SendInput(r.Input)}
	}
	res := m.app.SendMessages(ctx, in)
	out := make([]SendResult, len(res))
	for i, r := range res {
		out[i] = SendResult{Message: messageFrom(r.Message), Created: r.Created, Err: r.Err}
	}
	return out
}

// History returns a page of a room's messages for userID (roomID "" = the
// global room). ErrNotFound when the user may not read the room.
func (m *Module) History(ctx context.Context, userID, roomID string, q HistoryQuery) (Page, error) {
	p, err := m.app.History(ctx, userID, roomID, domain.HistoryQuery(q))
	if err != nil {
		return Page{}, err
	}
	items := make([]Message, len(p.Items))
	for i, d := range p.Items {
		items[i] = messageFrom(d)
	}
	return Page{Items: items, Next: p.Next}, nil
}

// MarkRead moves userID's read pointer in the room forward to seq (never
// back, never past the newest message) and returns where it stands. When it
// moved, a receipt.updated event follows.
func (m *Module) MarkRead(ctx context.Context, userID, roomID string, seq int64) (int64, error) {
	return m.app.MarkRead(ctx, userID, roomID, seq)
}

// EditMessage replaces the content of message id (its author only, within
// MESSAGE_EDIT_WINDOW) and returns it as it now is; the same content
// changes nothing. ErrMessageNotFound, ErrForbidden, ErrConflict (deleted).
func (m *Module) EditMessage(ctx context.Context, userID, id, content string) (Message, error) {
	d, err := m.app.EditMessage(ctx, userID, id, content)
	return messageFrom(d), err
}

// DeleteMessage deletes message id (its author or the room owner) and
// returns it as it now is; deleting again changes nothing.
func (m *Module) DeleteMessage(ctx context.Context, userID, id string) (Message, error) {
	d, err := m.app.DeleteMessage(ctx, userID, id)
	return messageFrom(d), err
}

// React adds (add) or removes userID's emoji reaction to message id and
// returns the message as it now is; idempotent.
func (m *Module) React(ctx context.Context, userID, id, emoji string, add bool) (Message, error) {
	d, err := m.app.React(ctx, userID, id, emoji, add)
	return messageFrom(d), err
}

// ChangedSince pages roomID's messages whose rev is above since, in rev
// order (Next: the since of the next page, 0 at the end).
func (m *Module) ChangedSince(ctx context.Context, userID, roomID string, since int64, limit int) (Page, error) {
	p, err := m.app.ChangedSince(ctx, userID, roomID, since, limit)
	if err != nil {
		return Page{}, err
	}
	items := make([]Message, len(p.Items))
	for i, d := range p.Items {
		items[i] = messageFrom(d)
	}
	return Page{Items: items, Next: p.Next}, nil
}

// CanRead returns nil when userID may read the room (and receive its live
// events), ErrNotFound otherwise.
func (m *Module) CanRead(ctx context.Context, userID, roomID string) error {
	return m.app.CanRead(ctx, userID, roomID)
}

// CanPost returns nil when userID may post in the room, ErrNotFound when
// they may not see it, ErrForbidden for a public room not joined.
func (m *Module) CanPost(ctx context.Context, userID, roomID string) error {
	return m.app.CanPost(ctx, userID, roomID)
}

// RunRelay publishes outbox events to the Redis streams until ctx is done,
// then returns nil. Run it in one goroutine per api process: an advisory
// lock lets one relay at a time drain, the others stand by. Outages are
// logged and retried; no committed event is lost. New messages are
// published by their committer (OUTBOX_RELAY_ONLY off); RunRelay also
// removes those from the outbox, and the relay takes any left after
// OUTBOX_RELAY_GRACE.
func (m *Module) RunRelay(ctx context.Context) error {
	if m.onCommit == nil {
		return m.relay.Run(ctx)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = m.onCommit.Run(ctx) })
	defer wg.Wait()
	return m.relay.Run(ctx)
}

// RecordCall posts the entry a call leaves in its room's history: a message
// of kind "call" from the caller, carrying record (a JSON object) and no
// content. key (e.g. "call:<callId>", at most 64 characters) makes it
// idempotent. ErrNotFound when the caller is no longer in the room.
func (m *Module) RecordCall(ctx context.Context, callerID, roomID, key string, record []byte) (Message, error) {
	d, err := m.app.RecordCall(ctx, callerID, roomID, key, record)
	if err != nil {
		return Message{}, err
	}
	return messageFrom(d), nil
}

// MemberIDs returns the members of roomID once userID may post there
// (ErrNotFound, ErrForbidden otherwise); at most max+1 ids, so that more
// than max can be told.
func (m *Module) MemberIDs(ctx context.Context, userID, roomID string, max int) ([]string, error) {
	return m.app.MemberIDs(ctx, userID, roomID, max)
}

// Peers returns the users who share a room other than the global one
// with userID: those who see their devices (the key directory's Peers).
func (m *Module) Peers(ctx context.Context, userID string) ([]string, error) {
	return m.store.Peers(ctx, userID)
}
