package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/modules/attachments/attachmentstest"
	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestAttachmentsQuotaAndSweep: the per-user quota (413 quota_exceeded,
// nothing stored) and the real worker binary's sweep, on the local disk
// and on a real S3-compatible server. The worker removes uploads never
// attached once past ATTACHMENT_ORPHAN_GRACE and the files of deleted
// messages an api left behind (it died after the delete committed:
// simulated in SQL); the bytes it removes stop counting against the quota.
// HOUSEKEEPING_INTERVAL=2s and ATTACHMENT_ORPHAN_GRACE=1s make it seconds.
func TestAttachmentsQuotaAndSweep(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		dir := t.TempDir()
		testQuotaAndSweep(t, map[string]string{"STORAGE_DIR": dir}, func(key string) bool {
			_, err := os.Stat(filepath.Join(dir, key))
			return err == nil
		})
	})
	t.Run("s3", func(t *testing.T) {
		srv := attachmentstest.StartS3(t)
		bucket := srv.Bucket(t, "chatforge-sweep")
		testQuotaAndSweep(t, map[string]string{
			"STORAGE_BACKEND": "s3", "S3_ENDPOINT": srv.Endpoint, "S3_BUCKET": bucket,
			"S3_ACCESS_KEY": srv.AccessKey, "S3_SECRET_KEY": srv.SecretKey, "S3_REGION": srv.Region,
		}, func(key string) bool { return slices.Contains(srv.Keys(t, bucket), key) })
	})
}

func testQuotaAndSweep(t *testing.T, storage map[string]string, stored func(key string) bool) {
	env := map[string]string{"ATTACHMENT_USER_QUOTA_BYTES": "1000"}
	for k, v := range storage {
		env[k] = v
	}
	s := harness.NewStack(t, harness.Options{Env: env})
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)

	up := func(u chat, name string, size int) chatAttachment {
		t.Helper()
		var att chatAttachment
		res := u.upload(globalRoomID, name, bytes.Repeat([]byte("x"), size))
		if res.Status != http.StatusCreated {
			t.Fatalf("upload %s: %s", name, res)
		}
		res.JSON(t, &att)
		return att
	}
	send := func(att chatAttachment) filedMessage {
		t.Helper()
		var m filedMessage
		a.want(http.StatusCreated, &m, http.MethodPost, "/api/chat/messages",
			map[string]any{"roomId": globalRoomID, "attachmentIds": []string{att.ID}})
		return m
	}
	wantQuota := func(res *harness.Response, what string) {
		t.Helper()
		wantProblem(t, res, http.StatusRequestEntityTooLarge, what)
		if p := res.Problem(t); p.Code != "quota_exceeded" {
			t.Errorf("%s: code %q, want quota_exceeded", what, p.Code)
		}
	}

	orphan := up(a, "orphan.txt", 400)
	left := up(a, "left.txt", 300)   // its message's delete leaves it behind
	kept := up(a, "kept.txt", 200)   // its message lives
	dropped := up(a, "drop.txt", 90) // its message is deleted through the api
	mLeft, mKept, mDropped := send(left), send(kept), send(dropped)
	// 990 of 1000 bytes: one more file over the rest is refused, stores
	// nothing, and other users are not affected.
	wantQuota(a.upload(globalRoomID, "more.txt", bytes.Repeat([]byte("x"), 11)), "upload over the quota")
	up(b, "theirs.txt", 1000)
	up(a, "last.txt", 10) // exactly at the quota: now full
	wantQuota(a.upload(globalRoomID, "one.txt", []byte("x")), "upload at a full quota")

	// A delete through the api drops the files at once.
	a.want(http.StatusNoContent, nil, http.MethodDelete, "/api/chat/messages/"+mDropped.ID, nil)
	if stored(dropped.ID) {
		t.Errorf("file of a message deleted through the api is still stored")
	}
	// An api that died after the delete committed left the files.
	pgExec(t, s, `UPDATE messages SET deleted_at = now(), content = '' WHERE id = $1`, mLeft.ID)
	for _, att := range []chatAttachment{orphan, left, kept} {
		if !stored(att.ID) {
			t.Fatalf("%s not stored before the sweep", att.Name)
		}
	}

	time.Sleep(1100 * time.Millisecond) // past the grace for the uploads above
	fresh := up(a, "fresh.txt", 10)     // in the 90 bytes the api's delete freed
	startWorker(t, s, "worker-sweep", mergeEnv(storage, map[string]string{
		"HOUSEKEEPING_INTERVAL": "2s", "ATTACHMENT_ORPHAN_GRACE": "1s",
	}))
	eventually(t, 30*time.Second, "the worker's sweep", func() bool {
		return !stored(orphan.ID) && !stored(left.ID) && !stored(fresh.ID)
	})
	if !stored(kept.ID) {
		t.Errorf("file of a live message removed by the sweep")
	}
	if n := pgCount(t, s, `SELECT count(*) FROM attachments WHERE user_id = $1`, a.a.ID); n != 1 {
		t.Errorf("%d attachment rows of the user left, want 1 (the live message's)", n)
	}
	if n := pgCount(t, s, `SELECT count(*) FROM messages WHERE id = $1 AND has_attachments`, mLeft.ID); n != 0 {
		t.Errorf("deleted message still flagged has_attachments")
	}
	// The swept bytes no longer count: 200 used, 800 free (920 were used
	// before the sweep).
	up(a, "after.txt", 800)

	// The live message still carries its file.
	var page struct {
		Items []filedMessage `json:"items"`
	}
	a.want(http.StatusOK, &page, http.MethodGet, "/api/chat/messages?roomId="+globalRoomID+"&limit=50", nil)
	for _, m := range page.Items {
		if m.ID == mKept.ID && (len(m.Attachments) != 1 || m.Attachments[0].ID != kept.ID) {
			t.Errorf("live message after the sweep: %+v", m)
		}
	}
}

func mergeEnv(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func pgExec(t *testing.T, s *harness.Stack, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

func pgCount(t *testing.T, s *harness.Stack, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
