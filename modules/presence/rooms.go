package presence

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
)

// AnnounceRooms tells every gateway that userID, online, is now in rooms
// (a connection of theirs completed a join of them): the members of those
// rooms get the user's online presence. It is a plain publish on the
// events channel, not a lease transition: the lease scripts announce the
// user-wide online/offline, without rooms.
func (m *Module) AnnounceRooms(ctx context.Context, userID string, rooms []string) error {
	if userID == "" || len(rooms) == 0 {
		return errors.New("presence: AnnounceRooms needs a user and rooms")
	}
	b, err := json.Marshal(eventWire{UserID: userID, Status: "online", Rooms: rooms})
	if err != nil {
		return err
	}
	return m.rdb.Publish(ctx, m.config.EventsChannel, b).Err()
}

// RoomTracker is a receiver's table of which online users were announced
// in which rooms (AnnounceRooms), so that a user's offline reaches the
// rooms their online reached, whichever gateway announces it (a sweep of a
// dead gateway's leases included), and a socket joining a room can be told
// who is online in it. Entries live until the user's offline. Safe for
// concurrent use.
type RoomTracker struct {
	mu    sync.Mutex
	users map[string]map[string]struct{} // user -> rooms
	rooms map[string]map[string]struct{} // room -> users
}

// NewRoomTracker returns an empty tracker.
func NewRoomTracker() *RoomTracker {
	return &RoomTracker{users: make(map[string]map[string]struct{}), rooms: make(map[string]map[string]struct{})}
}

// Add records user online in rooms and returns the rooms that are new for
// the user (those an online presence must be delivered to).
func (t *RoomTracker) Add(user string, rooms []string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var added []string
	for _, r := range rooms {
		ur := t.users[user]
		if _, ok := ur[r]; ok {
			continue
		}
		if ur == nil {
			ur = make(map[string]struct{}, 1)
			t.users[user] = ur
		}
		ur[r] = struct{}{}
		ru := t.rooms[r]
		if ru == nil {
			ru = make(map[string]struct{}, 4)
			t.rooms[r] = ru
		}
		ru[user] = struct{}{}
		added = append(added, r)
	}
	return added
}

// Has reports whether user was announced in room.
func (t *RoomTracker) Has(user, room string) bool {
	t.mu.Lock()
	_, ok := t.users[user][room]
	t.mu.Unlock()
	return ok
}

// Remove forgets user (they went offline) and returns the rooms they were
// announced in, each with the number of users announced in it before the
// removal.
func (t *RoomTracker) Remove(user string) map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	ur := t.users[user]
	if ur == nil {
		return nil
	}
	out := make(map[string]int, len(ur))
	for r := range ur {
		ru := t.rooms[r]
		out[r] = len(ru)
		delete(ru, user)
		if len(ru) == 0 {
			delete(t.rooms, r)
		}
	}
	delete(t.users, user)
	return out
}

// Count is the number of users announced online in room.
func (t *RoomTracker) Count(room string) int {
	t.mu.Lock()
	n := len(t.rooms[room])
	t.mu.Unlock()
	return n
}

// Online returns the users announced online in room, or nil when there are
// more than limit of them.
func (t *RoomTracker) Online(room string, limit int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ru := t.rooms[room]
	if len(ru) > limit {
		return nil
	}
	out := make([]string, 0, len(ru))
	for u := range ru {
		out = append(out, u)
	}
	return out
}
