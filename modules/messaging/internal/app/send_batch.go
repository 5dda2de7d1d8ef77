package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// AccessKey names a (room, user) pair whose access is asked for.
type AccessKey struct {
	RoomID string
	UserID string
}

// Appended is what AppendBatch did with one message: the stored message
// (created false when its (UserID, ClientMsgID) already named one, which is
// returned instead), or Err (ErrNotFound: the room vanished or the sender
// lost membership since the use case checked).
type Appended struct {
	Message domain.Message
	Created bool
	Err     error
}

// BatchAppender stores many messages at once.
type BatchAppender interface {
	// Accesses loads, in one round trip, each pair's room and the user's
	// role in it. Pairs whose room does not exist are absent from the map.
	Accesses(ctx context.Context, keys []AccessKey) (map[AccessKey]domain.Access, error)
	// AppendBatch stores msgs with the outcome MessageAppender.Append
	// would give them one after the other, in order: a room's messages
	// take consecutive seqs in the order of msgs, a repeated (UserID,
	// ClientMsgID), in msgs or already stored, gets the first message.
	// The stored messages, their read pointers and events commit together
	// (or, after a rare concurrent resend, one by one). out[i] answers
	// msgs[i]; a non-nil error means nothing was stored.
	AppendBatch(ctx context.Context, msgs []domain.Message) (out []Appended, err error)
}

// SendRequest is one message of a batch: its sender and what was sent.
type SendRequest struct {
	UserID string
	Input  SendInput
}

// SendResult answers one SendRequest as SendMessage would have: the
// message and whether it was created, or the error.
type SendResult struct {
	Message domain.Message
	Created bool
	Err     error
}

// SendMessages stores many messages, from any senders to any rooms, at the
// cost of a few round trips and one commit for all of them. Each request is
// validated and authorized on its own: an invalid or forbidden one gets its
// error in its result and is left out; the others are stored. Within a
// room, the stored messages take seqs in the order of reqs. out[i] answers
// reqs[i].
func (a *App) SendMessages(ctx context.Context, reqs []SendRequest) []SendResult {
	if anyAttachments(reqs) {
		// Sends with attachments or a ciphertext take the single path, one by one in
		// order (so seqs still follow reqs): it claims the uploads in the
		// message's transaction; the batch statements do not.
		out := make([]SendResult, len(reqs))
		for i, r := range reqs {
			m, created, err := a.SendMessage(ctx, r.UserID, r.Input)
			out[i] = SendResult{Message: m, Created: created, Err: err}
		}
		return out
	}
	// A batch of one (a lightly loaded api sees many) takes this path too:
	// the batch's three round trips (access, BEGIN with the room lock, the
	// insert with COMMIT) are fewer than the single path's six.
	out := make([]SendResult, len(reqs))
	keys := make([]AccessKey, len(reqs))
	var (
		checked []int // requests that passed validation, in order
		unique  []AccessKey
		seen    = make(map[AccessKey]bool, len(reqs))
	)
	for i, r := range reqs {
		roomID, err := a.checkSend(r.Input)
		if err == nil && (len(r.UserID) != 36 || uuid.Validate(r.UserID) != nil) {
			// Authenticated ids are UUIDs; a malformed one would fail the
			// batch's queries for everyone.
			err = errBadSender
		}
		if err != nil {
			out[i].Err = err
			continue
		}
		keys[i] = AccessKey{RoomID: roomID, UserID: r.UserID}
		checked = append(checked, i)
		if !seen[keys[i]] {
			seen[keys[i]] = true
			unique = append(unique, keys[i])
		}
	}
	if len(checked) == 0 {
		return out
	}
	access, err := a.p.Batches.Accesses(ctx, unique)
	if err != nil {
		failAll(out, checked, err)
		return out
	}
	var (
		allowed []int // requests to store, in order; msgs[j] is reqs[allowed[j]]
		msgs    []domain.Message
		traces  map[string]string // by message id; nil when none is traced
	)
	for _, i := range checked {
		acc, ok := access[keys[i]]
		if !ok {
			out[i].Err = domain.ErrNotFound
			continue
		}
		if err := acc.CanPost(); err != nil {
			out[i].Err = err
			continue
		}
		if err := acc.CheckBody(reqs[i].Input.Content, nil, 0); err != nil {
			out[i].Err = err // plain text to an encrypted room
			continue
		}
		replyTo, _ := ParseID("replyTo", reqs[i].Input.ReplyTo) // checked by checkSend
		allowed = append(allowed, i)
		msgs = append(msgs, domain.Message{
			ID: a.newID(), RoomID: acc.Room.ID, UserID: reqs[i].UserID,
			Content: reqs[i].Input.Content, ClientMsgID: reqs[i].Input.ClientMsgID, ReplyTo: replyTo,
		})
		if t := reqs[i].Input.Trace; t != "" {
			if traces == nil {
				traces = make(map[string]string, len(checked))
			}
			traces[msgs[len(msgs)-1].ID] = t
		}
	}
	if allowed, msgs = a.dropBadReplies(ctx, out, allowed, msgs); len(msgs) == 0 {
		return out
	}
	if traces != nil {
		ctx = withMessageTraces(ctx, traces)
	}
	stored, err := a.p.Batches.AppendBatch(ctx, msgs)
	if err == nil && len(stored) != len(msgs) {
		err = errBatchLength
	}
	if err != nil {
		failAll(out, allowed, err)
		return out
	}
	wake := false
	for j, i := range allowed {
		out[i] = SendResult{Message: stored[j].Message, Created: stored[j].Created, Err: stored[j].Err}
		wake = wake || stored[j].Created
	}
	if wake {
		a.wakeForMessages()
	}
	return out
}

// checkSend validates a message as SendMessage does, in the same order, and
// returns the canonical id of its room (empty: the global room).
func (a *App) checkSend(in SendInput) (roomID string, err error) {
	if in.RoomID == "" {
		in.RoomID = domain.GlobalRoomID
	}
	if in.Ciphertext != nil {
		if in.Content != "" {
			return "", &domain.InvalidError{Field: "content", Message: "must be empty when ciphertext is sent"}
		}
		if err := domain.ValidateCiphertext(in.Ciphertext, a.maxCiphertext); err != nil {
			return "", err
		}
		if in.SessionID != "" && in.Ciphertext.SenderDeviceID != in.SessionID {
			return "", &domain.InvalidError{Field: "ciphertext.senderDeviceId", Message: "must be the id of the sending session"}
		}
	} else if err := domain.ValidateBody(in.Content, len(in.AttachmentIDs), a.maxContent); err != nil {
		return "", err
	}
	if err := domain.ValidateClientMsgID(in.ClientMsgID); err != nil {
		return "", err
	}
	if in.ReplyTo != "" {
		if _, err := ParseID("replyTo", in.ReplyTo); err != nil {
			return "", err
		}
	}
	return ParseID("roomId", in.RoomID)
}

func failAll(out []SendResult, idx []int, err error) {
	for _, i := range idx {
		out[i].Err = err
	}
}

// errBadSender refuses a sender id that is not a UUID (a caller's bug).
var errBadSender = errors.New("messaging: sender id is not a UUID")

// errBatchLength guards the port contract: one outcome per message.
var errBatchLength = errors.New("messaging: AppendBatch returned a result count unlike its input")

func anyAttachments(reqs []SendRequest) bool {
	for _, r := range reqs {
		if len(r.Input.AttachmentIDs) > 0 || r.Input.Ciphertext != nil {
			return true
		}
	}
	return false
}
