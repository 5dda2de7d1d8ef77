package domain

import "time"

// ErrMessageNotFound: the message does not exist, or the caller is not a
// member of its room (ARCHITECTURE.md section 8: non-members get 404 from
// every message endpoint). It matches ErrNotFound.
var ErrMessageNotFound error = reason{ErrNotFound, "message not found"}

// CanChange allows members of a message's room to ask for a change to it;
// everyone else is told the message does not exist.
func (a Access) CanChange() error {
	if !a.Member() {
		return ErrMessageNotFound
	}
	return nil
}

// Edit replaces the content of m by userID's content at now. Only the
// author edits, within window of sending (0: no limit), and never a deleted
// message. content must have been validated. changed is false when the
// content already is that (idempotent: no new rev, no event).
func (m *Message) Edit(a Access, userID, content string, now time.Time, window time.Duration) (changed bool, err error) {
	if err := a.CanChange(); err != nil {
		return false, err
	}
	switch {
	case m.UserID != userID:
		return false, because(ErrForbidden, "only the author edits a message")
	case a.Room.Encrypted:
		return false, ErrEncryptedRoom
	case m.Deleted():
		return false, because(ErrConflict, "a deleted message cannot be edited")
	case m.Content == content:
		return false, nil
	case window > 0 && now.Sub(m.CreatedAt) > window:
		return false, because(ErrForbidden, "the edit window of "+window.String()+" has passed")
	}
	m.Content, m.EditedAt = content, now
	return true, nil
}

// Delete deletes m by userID at now: the author or the room's owner or a
// moderator may (a room's creator is its owner). The
// message keeps its seq; its content and reactions go. changed is false
// when it was already deleted (idempotent).
func (m *Message) Delete(a Access, userID string, now time.Time) (changed bool, err error) {
	if err := a.CanChange(); err != nil {
		return false, err
	}
	if m.UserID != userID && !a.Role.Moderates() {
		return false, because(ErrForbidden, "only the author, the room owner or a moderator deletes a message")
	}
	if m.Deleted() {
		return false, nil
	}
	m.Content, m.DeletedAt, m.Reactions, m.Ciphertext = "", now, nil, nil
	return true, nil
}
