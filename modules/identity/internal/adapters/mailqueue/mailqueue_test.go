package mailqueue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/modules/identity/internal/adapters/mailqueue"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
	"github.com/chatforge/chat/platform/tracing"
)

func TestEnqueueOnceWithLinkAndPolicy(t *testing.T) {
	t.Parallel()
	opt, err := asynq.ParseRedisURI(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspector(opt)
	t.Cleanup(func() { _ = insp.Close() })

	q, err := mailqueue.New(client, "https://chat.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	token, hash := domain.NewToken()
	m := app.Mail{UserID: uuid.New(), Email: "a@example.com", DisplayName: "Ada", Token: token, TokenHash: hash}
	ctx := context.Background()
	for range 2 { // the second enqueue of the same token is a no-op
		if err := q.SendVerification(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Queued in a traced request: the payload carries its trace context.
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	sc, _ := tracing.Parse(tp)
	if err := q.SendPasswordReset(trace.ContextWithSpanContext(ctx, sc), m); err != nil {
		t.Fatal(err)
	}

	tasks, err := insp.ListPendingTasks(mailqueue.Queue)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 {
		t.Fatalf("%d tasks pending; want one per type", len(tasks))
	}
	links := map[string]string{
		mailqueue.TaskVerifyEmail:   "https://chat.example.com/verify-email?token=" + token,
		mailqueue.TaskPasswordReset: "https://chat.example.com/reset-password?token=" + token,
	}
	for _, ti := range tasks {
		var p mailqueue.Payload
		if err := json.Unmarshal(ti.Payload, &p); err != nil {
			t.Fatal(err)
		}
		want := mailqueue.Payload{UserID: m.UserID.String(), Email: "a@example.com", DisplayName: "Ada", Token: token, Link: links[ti.Type]}
		if ti.Type == mailqueue.TaskPasswordReset {
			want.Traceparent = tp
		}
		if p != want {
			t.Errorf("%s payload = %+v; want %+v", ti.Type, p, want)
		}
		if ti.MaxRetry != 10 || ti.Timeout != 30*time.Second || ti.ID != mailqueue.TaskID(ti.Type, m) {
			t.Errorf("%s policy: retry %d timeout %s id %s", ti.Type, ti.MaxRetry, ti.Timeout, ti.ID)
		}
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "chat.example.com", "ftp://x", "/relative"} {
		if _, err := mailqueue.New(nil, u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}
