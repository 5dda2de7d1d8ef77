package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/moderation/internal/adapters/openai"
	"github.com/chatforge/chat/modules/moderation/internal/adapters/rediscount"
	"github.com/chatforge/chat/modules/moderation/internal/app"
	"github.com/chatforge/chat/modules/moderation/internal/domain"
	"github.com/chatforge/chat/platform/streamgroup"
)

// Group is the consumer group of the worker on the event streams.
const Group = "moderation"

// editMemory is how long an edit is remembered as judged, so the
// message.updated events that follow it (reactions) do not judge it again.
const editMemory = 24 * time.Hour

// ErrGone is what Chat returns for a message that no longer exists.
var ErrGone = app.ErrGone

// Chat hides and reports flagged messages (the messaging module, adapted
// by the app that wires this one). Both must be idempotent.
type Chat interface {
	HideMessage(ctx context.Context, messageID, reason string) error
	OpenReport(ctx context.Context, messageID, reason string) error
}

// Deps are the module's collaborators.
type Deps struct {
	Redis      redis.UniversalClient
	Chat       Chat
	Log        *slog.Logger
	Metrics    prometheus.Registerer // nil: none
	Config     Config
	Partitions int    // event stream partitions
	Consumer   string // this worker's name in the group
}

// Module is automatic moderation, wired.
type Module struct {
	d        Deps
	mod      *app.Moderator
	outcomes *prometheus.CounterVec
}

// New reads the word lists and wires the classifiers.
func New(d Deps) (*Module, error) {
	if d.Redis == nil || d.Chat == nil {
		return nil, errors.New("moderation: Deps.Redis and Chat are required")
	}
	if err := d.Config.Validate(); err != nil {
		return nil, err
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	d.Log = d.Log.With("component", "moderation")
	words := domain.ParseWords(d.Config.BlockedWords)
	if f := d.Config.WordsFile; f != "" {
		file, err := os.Open(f)
		if err != nil {
			return nil, fmt.Errorf("MODERATION_WORDS_FILE: %w", err)
		}
		err = words.ReadWords(file)
		file.Close()
		if err != nil {
			return nil, fmt.Errorf("MODERATION_WORDS_FILE: %w", err)
		}
	}
	c := d.Config
	classifiers := []app.Classifier{app.NewBuiltin(app.Rules{
		Words: words, MaxLinks: c.MaxLinks, FloodMax: c.FloodMax, FloodWindow: c.FloodWindow,
		RepeatMax: c.RepeatMax, RepeatWindow: c.RepeatWindow,
	}, rediscount.New(d.Redis))}
	m := &Module{d: d, outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "moderation_messages_total", Help: "Messages checked by automatic moderation, by outcome (clean, flagged, classifier_failed).",
	}, []string{"outcome"})}
	var breaker prometheus.Gauge
	if c.URL != "" {
		breaker = prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "moderation_service_breaker_open", Help: "1 while the moderation service's circuit breaker is open (messages pass unchecked by it).",
		})
		classifiers = append(classifiers, openai.New(openai.Config{
			URL: c.URL, APIKey: c.APIKey, Model: c.Model, Timeout: c.Timeout,
			BreakerFailures: c.BreakerFailures, BreakerOpenFor: c.BreakerOpenFor,
		}, d.Log, func(state string) {
			if state == "open" {
				breaker.Set(1)
			} else {
				breaker.Set(0)
			}
		}))
	}
	if d.Metrics != nil {
		d.Metrics.MustRegister(m.outcomes)
		if breaker != nil {
			d.Metrics.MustRegister(breaker)
		}
	}
	m.mod = app.NewModerator(d.Chat, d.Log, classifiers...)
	d.Log.Info("automatic moderation ready", "enabled", c.Enabled, "blocked_entries", words.Len(),
		"remote", c.URL != "", "max_links", c.MaxLinks, "flood_max", c.FloodMax, "repeat_max", c.RepeatMax)
	return m, nil
}

// Run reads new messages from the event streams and moderates each until
// ctx is done. With MODERATION_ENABLED=false it only waits.
func (m *Module) Run(ctx context.Context) error {
	if !m.d.Config.Enabled {
		<-ctx.Done()
		return nil
	}
	c := &streamgroup.Consumer{Redis: m.d.Redis, Streams: messaging.StreamKeys(m.d.Partitions), Group: Group,
		Name: m.d.Consumer, Log: m.d.Log, Handle: m.handle}
	return c.Run(ctx)
}

// handle moderates a new message (message.created) and each edit of one
// (message.updated of an edited message, once per edit: reactions and
// other changes re-send the same edit). Deleted, already hidden and
// text-less messages are passed over. (No message carries encrypted
// content yet; when one does, it must be passed over here too: the server
// cannot read it.)
func (m *Module) handle(ctx context.Context, stream, id string, values map[string]any) error {
	e, err := messaging.DecodeEvent(values)
	if err != nil {
		m.d.Log.WarnContext(ctx, "skipping malformed event", "stream", stream, "entry", id, "err", err)
		return nil
	}
	msg := e.Message
	if msg == nil || !msg.DeletedAt.IsZero() || msg.Moderation.Status != "" || msg.Content == "" {
		return nil
	}
	edit := false
	switch {
	case e.Type == messaging.EventMessageCreated:
	case e.Type == messaging.EventMessageUpdated && !msg.EditedAt.IsZero():
		first, err := m.d.Redis.SetNX(ctx, "mod:edit:"+msg.ID+":"+strconv.FormatInt(msg.EditedAt.UnixNano(), 10), 1, editMemory).Result()
		if err != nil {
			return err
		}
		if !first {
			return nil
		}
		edit = true
	default:
		return nil
	}
	out, err := m.mod.Moderate(ctx, domain.Input{MessageID: msg.ID, RoomID: msg.RoomID, UserID: msg.UserID, Content: msg.Content, Edit: edit})
	if err != nil {
		return err
	}
	m.outcomes.WithLabelValues(string(out)).Inc()
	return nil
}
