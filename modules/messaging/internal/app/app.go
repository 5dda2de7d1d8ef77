// Package app holds the messaging use cases, one file each, with the
// outgoing ports each needs declared next to it. Use cases validate input,
// derive authorization from domain.Access and call the ports; they never
// see SQL, Redis or HTTP. The same use case serves REST and socket callers
// (one code path for a sent message).
package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// AccessReader loads a room and a user's role in it; ErrNotFound when the
// room does not exist. Every use case starts here.
type AccessReader interface {
	Access(ctx context.Context, roomID, userID string) (domain.Access, error)
}

// Ports are the outgoing adapters. The PostgreSQL store implements all but
// Publisher; messagingtest.Store implements them in memory.
type Ports struct {
	Access    AccessReader
	Messages  MessageAppender
	Batches   BatchAppender
	History   HistoryReader
	Receipts  ReceiptWriter
	Rooms     RoomWriter
	Reader    RoomReader
	Lister    RoomLister
	Members   MembershipChanger
	Search    Searcher
	Changes   MessageChanger
	Reactions ReactionWriter
	Replies   ReplyParents
	Threads   ThreadReader
	ChangeLog ChangeReader
	States    StateReader
	// Snapshots keeps sync tokens; nil: every sync answers the full state.
	Snapshots SyncSnapshots
	// Attachments is optional (nil: messages carry none).
	Attachments AttachmentReader
	// Safety: blocks, moderation, reports.
	Blocks        BlockStore
	Moderation    Moderator
	Reports       ReportStore
	MessageReader MessageReader
	// BlockMirror is optional (nil: the gateways are not told of blocks).
	BlockMirror BlockMirror
}

// Options tune the use cases.
type Options struct {
	MaxContentLength int              // 0: domain.DefaultMaxContentLength
	Now              func() time.Time // nil: time.Now
	NewID            func() string    // nil: UUIDv7 (ordered by creation: good B-tree locality, rooms list in creation order)
	SendSlots        int              // SendQueued batches running at once; 0: DefaultSendSlots
	SendBatch        int              // most messages in one SendQueued batch; 0: DefaultSendBatch
	EditWindow       time.Duration    // how long after sending its author may edit a message; 0: no limit
	DefaultMute      time.Duration    // a "mute" resolution without an end; 0: DefaultMuteDuration
	MaxCiphertext    int              // bytes of an encrypted message's copies together; 0: domain.DefaultMaxCiphertextBytes
	PublishOnCommit  bool             // new messages are published by their committer (CommitPublisher), not the relay
}

// App is the set of use cases. It is safe for concurrent use.
type App struct {
	p             Ports
	maxContent    int
	maxCiphertext int
	editWindow    time.Duration
	muteFor       time.Duration
	now           func() time.Time
	newID         func() string
	// kick wakes the outbox relay of this process after a commit that wrote
	// events, so delivery does not wait for its next poll. Capacity 1: a
	// pending wake-up covers any number of commits.
	kick chan struct{}
	// queue coalesces SendQueued calls into SendMessages batches.
	queue *sendQueue
	// publishOnCommit: the store gives new messages to a CommitPublisher
	// after their commit; the relay need not be woken for them.
	publishOnCommit bool
}

// New builds the use cases over the ports.
func New(p Ports, o Options) *App {
	a := &App{p: p, maxContent: o.MaxContentLength, editWindow: o.EditWindow, now: o.Now, newID: o.NewID, kick: make(chan struct{}, 1)}
	a.muteFor, a.publishOnCommit = o.DefaultMute, o.PublishOnCommit
	if a.muteFor <= 0 {
		a.muteFor = DefaultMuteDuration
	}
	if a.maxCiphertext = o.MaxCiphertext; a.maxCiphertext <= 0 {
		a.maxCiphertext = domain.DefaultMaxCiphertextBytes
	}
	if a.maxContent <= 0 {
		a.maxContent = domain.DefaultMaxContentLength
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.newID == nil {
		a.newID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	if o.SendSlots <= 0 {
		o.SendSlots = DefaultSendSlots
	}
	if o.SendBatch <= 0 {
		o.SendBatch = DefaultSendBatch
	}
	a.queue = newSendQueue(a.SendMessages, o.SendSlots, o.SendBatch)
	return a
}

// wakeForMessages wakes the relay after a commit that stored messages,
// unless their committer publishes them (Options.PublishOnCommit).
func (a *App) wakeForMessages() {
	if !a.publishOnCommit {
		a.wake()
	}
}

// wake signals the relay without ever blocking the caller.
func (a *App) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// clock returns the current time at the precision PostgreSQL keeps, so a
// value returned to the caller equals the one read back later.
func (a *App) clock() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

// ParseID validates a UUID and returns its canonical lower-case form (the
// direct-room pair ordering relies on canonical ids).
func ParseID(field, s string) (string, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", &domain.InvalidError{Field: field, Message: "must be a UUID"}
	}
	return id.String(), nil
}

// access loads the caller's access to a room given by an unvalidated id.
func (a *App) access(ctx context.Context, field, roomID, userID string) (domain.Access, error) {
	id, err := ParseID(field, roomID)
	if err != nil {
		return domain.Access{}, err
	}
	return a.p.Access.Access(ctx, id, userID)
}

// trim cuts a result fetched with limit+1 rows to limit and reports whether

// fetchPage lists one page of q (its cursor and limit checked) through
// list, asking one row more to learn whether a next page exists; key gives
// the cursor of an item. next is "" on the last page.
func fetchPage[T any](ctx context.Context, q domain.ListQuery, list func(context.Context, domain.ListQuery) ([]T, error),
	key func(T) string) ([]T, string, error) {
	q, err := listQuery(q, "cursor")
	if err != nil {
		return nil, "", err
	}
	return pageOf(ctx, q, list, key)
}

// moderatorPage is fetchPage for a list of roomID that only its owner and
// moderators may read (the query is checked first, then the caller).
func moderatorPage[T any](ctx context.Context, a *App, userID, roomID string, q domain.ListQuery,
	list func(ctx context.Context, roomID string, q domain.ListQuery) ([]T, error), key func(T) string) ([]T, string, error) {
	q, err := listQuery(q, "cursor")
	if err != nil {
		return nil, "", err
	}
	acc, err := a.access(ctx, "id", roomID, userID)
	if err != nil {
		return nil, "", err
	}
	if err := acc.CanModerate(); err != nil {
		return nil, "", err
	}
	return pageOf(ctx, q, func(ctx context.Context, q domain.ListQuery) ([]T, error) { return list(ctx, acc.Room.ID, q) }, key)
}

// pageOf runs a checked query with one row more than its limit.
func pageOf[T any](ctx context.Context, q domain.ListQuery, list func(context.Context, domain.ListQuery) ([]T, error),
	key func(T) string) ([]T, string, error) {
	limit := q.Limit
	q.Limit++
	items, err := list(ctx, q)
	if err != nil {
		return nil, "", err
	}
	items, more := trim(items, limit)
	next := ""
	if more {
		next = key(items[len(items)-1])
	}
	return items, next, nil
}

// there was more.
func trim[T any](items []T, limit int) ([]T, bool) {
	if len(items) > limit {
		return items[:limit], true
	}
	return items, false
}
