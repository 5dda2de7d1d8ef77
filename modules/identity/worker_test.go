package identity_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/identity"
)

// TestForgotPasswordThroughTheWorker: the api's half enqueues one
// forgot-password task for a known and an unknown address alike (and no
// e-mail); the worker's half, over the real database, queues the reset
// e-mail for the known one only.
func TestForgotPasswordThroughTheWorker(t *testing.T) {
	t.Parallel()
	w := wire(t)
	if code, _ := w.do("POST", "/api/auth/register", map[string]string{"email": "known@example.com", "password": "password1", "displayName": "K"}, ""); code != 201 {
		t.Fatalf("register: %d", code)
	}
	for _, email := range []string{"known@example.com", "unknown@example.com"} {
		if code, _ := w.do("POST", "/api/auth/password/forgot", map[string]string{"email": email}, ""); code != 202 {
			t.Fatalf("forgot %s: %d", email, code)
		}
	}
	insp := asynq.NewInspector(w.redisOpt)
	t.Cleanup(func() { _ = insp.Close() })
	pending := func(typ string) []*asynq.TaskInfo {
		t.Helper()
		all, err := insp.ListPendingTasks(identity.EmailQueue)
		if err != nil {
			t.Fatal(err)
		}
		var out []*asynq.TaskInfo
		for _, ti := range all {
			if ti.Type == typ {
				out = append(out, ti)
			}
		}
		return out
	}
	forgot := pending(identity.TaskPasswordForgot)
	if len(forgot) != 2 || len(pending(identity.TaskPasswordReset)) != 0 {
		t.Fatalf("api queued %d forgot tasks and %d reset e-mails; want 2 and 0", len(forgot), len(pending(identity.TaskPasswordReset)))
	}

	wk, err := identity.NewWorker(identity.WorkerDeps{DB: w.db, Jobs: w.jobs, Config: identity.Config{PublicBaseURL: "http://localhost:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := asynq.NewServeMux()
	wk.RegisterTasks(mux)
	for _, ti := range forgot {
		if err := mux.ProcessTask(context.Background(), asynq.NewTask(ti.Type, ti.Payload)); err != nil {
			t.Fatalf("worker: %v", err)
		}
	}
	reset := pending(identity.TaskPasswordReset)
	if len(reset) != 1 {
		t.Fatalf("%d reset e-mails queued, want 1", len(reset))
	}
	var p identity.EmailPayload
	if err := json.Unmarshal(reset[0].Payload, &p); err != nil || p.Email != "known@example.com" || p.Token == "" {
		t.Fatalf("reset payload %+v %v", p, err)
	}
	// The reset works with the mailed token.
	if code, _ := w.do("POST", "/api/auth/password/reset", map[string]string{"token": p.Token, "newPassword": "password2"}, ""); code != 204 {
		t.Fatalf("reset: %d", code)
	}
}
