// Package messagingtest provides in-memory fakes of the messaging ports
// (Store, Publisher) for unit tests of the use cases, and the contract
// suite (RunContract) that the fake and the PostgreSQL adapter both pass,
// so the fake cannot drift from the real thing.
package messagingtest

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Store is an in-memory implementation of every store port (app.Ports
// fields and app.Outbox). One mutex stands in for the transactions. The
// zero value is not usable: call NewStore.
type Store struct {
	mu       sync.Mutex
	users    map[string]bool
	rooms    map[string]*domain.Room
	members  map[string]map[string]domain.Member // room -> user -> member
	messages map[string][]domain.Message         // room -> by seq (index seq-1)
	receipts map[[2]string]int64                 // (room, user) -> last read seq
	revs     map[string]int64                    // room -> its revision (rooms.rev)
	reacts   map[string][]domain.Reaction        // message -> its reactions, oldest first
	outbox   []outboxRow
	blocks   map[[2]string]time.Time // (blocker, blocked) -> since
	// FailNextAppend, when set, is returned by the next Append or
	// AppendBatch (then cleared).
	FailNextAppend error
}

type outboxRow struct {
	rec       domain.Record
	at        time.Time
	published *time.Time
}

// NewStore returns a store holding only the global room.
func NewStore() *Store {
	s := &Store{
		users:    map[string]bool{},
		rooms:    map[string]*domain.Room{},
		members:  map[string]map[string]domain.Member{},
		messages: map[string][]domain.Message{},
		receipts: map[[2]string]int64{},
		revs:     map[string]int64{},
		reacts:   map[string][]domain.Reaction{},
	}
	s.rooms[domain.GlobalRoomID] = &domain.Room{ID: domain.GlobalRoomID, Kind: domain.KindGlobal, Name: "global"}
	return s
}

// Ports returns the store as every app port.
func (s *Store) Ports() app.Ports {
	return app.Ports{Access: s, Messages: s, Batches: s, History: s, Receipts: s, Rooms: s, Reader: s, Lister: s, Members: s, Search: s, Changes: s, Reactions: s, Replies: s, Threads: s, ChangeLog: s, Blocks: s}
}

// AddUser registers a user (the real store's users table) and returns its id.
func (s *Store) AddUser() string {
	id := uuid.NewString()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = true
	return id
}

// Pending returns the unpublished outbox records, in order.
func (s *Store) Pending() []domain.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Record
	for _, r := range s.outbox {
		if r.published == nil {
			out = append(out, r.rec)
		}
	}
	return out
}

// record appends events to the outbox. The fake's Data is the domain event
// as JSON: enough for relay tests, not the public wire schema.
func (s *Store) record(events ...domain.Event) {
	for _, e := range events {
		data, _ := json.Marshal(e)
		s.outbox = append(s.outbox, outboxRow{at: e.At, rec: domain.Record{
			OutboxID: int64(len(s.outbox) + 1), EventID: e.ID, Type: e.Type, RoomID: e.RoomID, Data: data, At: e.At,
		}})
	}
}

func (s *Store) role(roomID, userID string) domain.Role { return s.members[roomID][userID].Role }

// Access implements app.AccessReader.
func (s *Store) Access(_ context.Context, roomID, userID string) (domain.Access, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[roomID]
	if !ok {
		return domain.Access{}, domain.ErrNotFound
	}
	return domain.Access{Room: *r, Role: s.role(roomID, userID)}, nil
}

// Append implements app.MessageAppender.
func (s *Store) Append(_ context.Context, m domain.Message, attachmentIDs []string) (domain.Message, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(attachmentIDs) > 0 {
		// The fake holds no uploads: every id is unknown.
		return domain.Message{}, false, &domain.InvalidError{Field: "attachmentIds", Message: "unknown attachment"}
	}
	if err := s.FailNextAppend; err != nil {
		s.FailNextAppend = nil
		return domain.Message{}, false, err
	}
	return s.append(m)
}

// append stores one message; s.mu is held.
func (s *Store) append(m domain.Message) (domain.Message, bool, error) {
	if m.ClientMsgID != "" {
		for _, msgs := range s.messages {
			for _, old := range msgs {
				if old.UserID == m.UserID && old.ClientMsgID == m.ClientMsgID {
					return old, false, nil
				}
			}
		}
	}
	r, ok := s.rooms[m.RoomID]
	if !ok || (r.Kind != domain.KindGlobal && s.role(m.RoomID, m.UserID) == domain.RoleNone) {
		return domain.Message{}, false, domain.ErrNotFound
	}
	r.LastSeq++
	s.revs[m.RoomID]++
	m.Seq, m.Rev, m.CreatedAt = r.LastSeq, s.revs[m.RoomID], time.Now().UTC().Truncate(time.Microsecond)
	s.messages[m.RoomID] = append(s.messages[m.RoomID], m)
	if m.ReplyTo != "" {
		s.countReply(m.ReplyTo)
	}
	k := [2]string{m.RoomID, m.UserID}
	s.receipts[k] = max(s.receipts[k], m.Seq)
	s.record(domain.MessageCreated(uuid.NewString(), m))
	return m, true, nil
}

// History implements app.HistoryReader: the room's access, and its
// messages only when that access may read them.
func (s *Store) History(_ context.Context, roomID, userID string, q domain.HistoryQuery, into []domain.Message) (domain.Access, []domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[roomID]
	if !ok {
		return domain.Access{}, nil, domain.ErrNotFound
	}
	acc := domain.Access{Room: *r, Role: s.role(roomID, userID)}
	if acc.CanRead() != nil {
		return acc, nil, nil
	}
	out := into[:0]
	for _, m := range s.messages[roomID] {
		if m.Seq > q.After && (q.Before == 0 || m.Seq < q.Before) {
			out = append(out, m)
		}
	}
	if !q.Ascending {
		slices.Reverse(out)
	}
	return acc, out[:min(len(out), q.Limit)], nil
}

// Advance implements app.ReceiptWriter.
func (s *Store) Advance(_ context.Context, r domain.Receipt) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	room, ok := s.rooms[r.RoomID]
	if !ok {
		return 0, false, domain.ErrNotFound
	}
	k := [2]string{r.RoomID, r.UserID}
	seq := min(r.Seq, room.LastSeq)
	if seq <= s.receipts[k] {
		return s.receipts[k], false, nil
	}
	s.receipts[k] = seq
	r.Seq = seq
	s.record(domain.ReceiptUpdated(uuid.NewString(), r, time.Now()))
	return seq, true, nil
}

// Search implements app.Searcher with a crude rank: how many query words
// (lower-cased, space separated) the content contains.
func (s *Store) Search(_ context.Context, userID string, q domain.SearchQuery) ([]domain.SearchHit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	words := strings.Fields(strings.ToLower(q.Text))
	var hits []domain.SearchHit
	for roomID, msgs := range s.messages {
		if q.RoomID != "" && roomID != q.RoomID ||
			q.RoomID == "" && roomID != domain.GlobalRoomID && s.role(roomID, userID) == domain.RoleNone {
			continue
		}
		for _, m := range msgs {
			tokens := strings.Fields(strings.ToLower(m.Content))
			n := 0
			for _, w := range words {
				if slices.Contains(tokens, w) {
					n++
				}
			}
			if n == len(words) {
				hits = append(hits, domain.SearchHit{Message: m, Rank: float32(n) / float32(len(tokens))})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool { return before(hits[i], hits[j].Rank, hits[j].Message.ID) })
	if q.After != nil {
		i := sort.Search(len(hits), func(i int) bool { return !before(hits[i], q.After.Rank, q.After.MessageID) })
		for i < len(hits) && hits[i].Rank == q.After.Rank && hits[i].Message.ID == q.After.MessageID {
			i++
		}
		hits = hits[i:]
	}
	return hits[:min(len(hits), q.Limit)], nil
}

// before orders hits by rank descending, then id descending.
func before(h domain.SearchHit, rank float32, id string) bool {
	return h.Rank > rank || h.Rank == rank && h.Message.ID > id
}

// Drain implements app.Outbox (there is no other relay to lock out).
func (s *Store) Drain(ctx context.Context, n int, publish func(context.Context, []domain.Record) error) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var idx []int
	var recs []domain.Record
	for i, r := range s.outbox {
		if r.published == nil && len(recs) < n {
			idx, recs = append(idx, i), append(recs, r.rec)
		}
	}
	if len(recs) == 0 {
		return 0, nil
	}
	if err := publish(ctx, recs); err != nil {
		return 0, err
	}
	now := time.Now()
	for _, i := range idx {
		s.outbox[i].published = &now
	}
	return len(recs), nil
}
