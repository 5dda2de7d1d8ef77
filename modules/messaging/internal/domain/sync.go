package domain

// RoomState is where one of a user's rooms stands for them: its newest
// seq and rev and their read pointer. A device compares it with what it
// has (GET /api/chat/sync).
type RoomState struct {
	RoomID  string
	LastSeq int64
	Rev     int64
	ReadSeq int64
}

// Unread is how many messages the user has not read in the room.
func (s RoomState) Unread() int64 { return max(0, s.LastSeq-s.ReadSeq) }

// SyncDiff compares a user's rooms now (cur) with a snapshot taken at an
// earlier sync (prev): changed lists, in cur's order, the rooms joined
// since or whose seq, rev or read pointer moved; left the rooms of prev
// the user is no longer in.
func SyncDiff(prev map[string]RoomState, cur []RoomState) (changed []RoomState, left []string) {
	in := make(map[string]bool, len(cur))
	for _, s := range cur {
		in[s.RoomID] = true
		if p, ok := prev[s.RoomID]; !ok || p != s {
			changed = append(changed, s)
		}
	}
	for id := range prev {
		if !in[id] {
			left = append(left, id)
		}
	}
	return changed, left
}
