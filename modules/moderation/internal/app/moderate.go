package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/chatforge/chat/modules/moderation/internal/domain"
)

// Classifier judges one message. An error means it could not judge (the
// caller fails open).
type Classifier interface {
	Classify(ctx context.Context, in domain.Input) (domain.Verdict, error)
}

// Chat is what moderation does to a flagged message (the messaging
// module): hide it and report it to the room's moderators. Both are
// idempotent, so a message handled twice is hidden and reported once.
type Chat interface {
	HideMessage(ctx context.Context, messageID, reason string) error
	OpenReport(ctx context.Context, messageID, reason string) error
}

// ErrGone marks a message that no longer exists: nothing to moderate.
var ErrGone = errors.New("moderation: message gone")

// Outcome counts what Moderate did, for metrics.
type Outcome string

// Outcomes of Moderate.
const (
	OutcomeClean   Outcome = "clean"
	OutcomeFlagged Outcome = "flagged"
	OutcomeFailed  Outcome = "classifier_failed" // failed open: not flagged
)

// Moderator runs the classifiers in order and acts on the first flag.
type Moderator struct {
	classifiers []Classifier
	chat        Chat
	log         *slog.Logger
}

// NewModerator returns the use case; classifiers run in order (built-in
// first: it is cheap and keeps the flood counters).
func NewModerator(chat Chat, log *slog.Logger, classifiers ...Classifier) *Moderator {
	return &Moderator{classifiers: classifiers, chat: chat, log: log}
}

// Moderate classifies in and hides and reports it when flagged. A
// classifier that fails is logged and passed over (fail open); an error
// is returned only when hiding or reporting failed (retry the message).
func (m *Moderator) Moderate(ctx context.Context, in domain.Input) (Outcome, error) {
	out := OutcomeClean
	for _, c := range m.classifiers {
		v, err := c.Classify(ctx, in)
		if err != nil {
			m.log.WarnContext(ctx, "classifier failed; message let through", "message_id", in.MessageID, "err", err)
			out = OutcomeFailed
			continue
		}
		if !v.Flagged {
			continue
		}
		if err := m.chat.HideMessage(ctx, in.MessageID, v.Reason); err != nil {
			if errors.Is(err, ErrGone) {
				return OutcomeClean, nil
			}
			return out, err
		}
		if err := m.chat.OpenReport(ctx, in.MessageID, v.Reason); err != nil && !errors.Is(err, ErrGone) {
			return out, err
		}
		m.log.InfoContext(ctx, "message hidden by automatic moderation", "message_id", in.MessageID,
			"room_id", in.RoomID, "reason", v.Reason)
		return OutcomeFlagged, nil
	}
	return out, nil
}
