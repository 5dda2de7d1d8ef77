package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/tests/e2e/harness"
)

func listSessions(t *testing.T, c *harness.Client, token string) []session {
	t.Helper()
	res := c.Do(http.MethodGet, "/api/user/sessions", nil, token)
	expect(t, res, http.StatusOK, "GET /api/user/sessions")
	var ss []session
	res.JSON(t, &ss)
	return ss
}

func testSessions(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	phone := s.Login(t, c.WithHeader("User-Agent", "e2e-phone/1.0"), a.Email, a.Password)

	ss := listSessions(t, c, a.AccessToken)
	if len(ss) != 2 {
		t.Fatalf("%d sessions, want 2: %+v", len(ss), ss)
	}
	byID := map[string]session{}
	for _, x := range ss {
		byID[x.ID] = x
		if x.IP == "" || parseTime(t, x.CreatedAt).After(time.Now().Add(time.Minute)) {
			t.Errorf("session %+v", x)
		}
	}
	mine, theirs := byID[a.SessionID], byID[phone.SessionID]
	if !mine.Current || theirs.Current {
		t.Errorf("current flags: own %v, other %v; want true, false", mine.Current, theirs.Current)
	}
	if mine.UserAgent != "chatforge-e2e" || theirs.UserAgent != "e2e-phone/1.0" {
		t.Errorf("user agents %q, %q", mine.UserAgent, theirs.UserAgent)
	}
	// The phone sees its own session as current.
	for _, x := range listSessions(t, c, phone.AccessToken) {
		if x.Current != (x.ID == phone.SessionID) {
			t.Errorf("phone's view: session %s current=%v", x.ID, x.Current)
		}
	}

	// Someone else's session and an unknown one look the same: 404.
	stranger := s.Register(t, c)
	for _, id := range []string{stranger.SessionID, uuid.NewString()} {
		res := c.Do(http.MethodDelete, "/api/user/sessions/"+id, nil, a.AccessToken)
		expect(t, res, http.StatusNotFound, "revoke foreign/unknown session")
	}
	profile(t, c, stranger.AccessToken)

	// Revoking the phone's session kills its tokens at once.
	expect(t, c.Do(http.MethodDelete, "/api/user/sessions/"+phone.SessionID, nil, a.AccessToken),
		http.StatusNoContent, "revoke other session")
	expectUnauthorized(t, c, phone.AccessToken, "revoked session's access token")
	expect(t, refresh(c, phone.RefreshToken), http.StatusUnauthorized, "revoked session's refresh token")
	expect(t, c.Do(http.MethodDelete, "/api/user/sessions/"+phone.SessionID, nil, a.AccessToken),
		http.StatusNotFound, "revoke an already revoked session")
	if ss := listSessions(t, c, a.AccessToken); len(ss) != 1 || ss[0].ID != a.SessionID {
		t.Errorf("sessions after revoke: %+v", ss)
	}
}

func testChangePassword(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	other := s.Login(t, c, a.Email, a.Password)
	change := func(current, next string) *harness.Response {
		return c.Do(http.MethodPut, "/api/user/password",
			map[string]string{"currentPassword": current, "newPassword": next}, a.AccessToken)
	}

	// A wrong current password is a field error, not a dead session.
	res := change("wrong-password", "new-password-1")
	expect(t, res, http.StatusUnprocessableEntity, "wrong current password")
	if f := fieldsOf(res.Problem(t)); len(f) != 1 || f[0] != "currentPassword" {
		t.Errorf("error fields %v, want [currentPassword]", f)
	}
	res = change(a.Password, "short")
	expect(t, res, http.StatusUnprocessableEntity, "too short new password")
	if f := fieldsOf(res.Problem(t)); len(f) != 1 || f[0] != "newPassword" {
		t.Errorf("error fields %v, want [newPassword]", f)
	}
	// Neither failure changed anything.
	profile(t, c, other.AccessToken)

	const next = "brand new password"
	expect(t, change(a.Password, next), http.StatusNoContent, "change password")
	profile(t, c, a.AccessToken) // the current session survives
	expect(t, refresh(c, a.RefreshToken), http.StatusOK, "refresh of the current session")
	expectUnauthorized(t, c, other.AccessToken, "other session after password change")
	expect(t, refresh(c, other.RefreshToken), http.StatusUnauthorized, "other session's refresh token")
	expect(t, login(c, a.Email, a.Password), http.StatusUnauthorized, "login with the old password")
	expect(t, login(c, a.Email, next), http.StatusOK, "login with the new password")
}
