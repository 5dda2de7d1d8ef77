package presence

import (
	"encoding/json"
	"errors"
	"time"
)

// Presence is what is known of a user.
type Presence struct {
	UserID   string
	Online   bool
	LastSeen time.Time // when they last went offline; zero if never
}

// Event is an online/offline transition read from the events channel.
type Event struct {
	UserID   string
	Online   bool
	LastSeen time.Time // set for offline
	// Rooms are the rooms the user is announced online in (an online
	// event published by AnnounceRooms). The lease scripts' transitions
	// carry none.
	Rooms []string
}

// eventWire is the channel payload, written by the store's Lua scripts.
type eventWire struct {
	UserID   string   `json:"userId"`
	Status   string   `json:"status"`
	LastSeen int64    `json:"lastSeen"` // unix ms
	Rooms    []string `json:"rooms,omitempty"`
}

// DecodeEvent reads a message of the events channel.
func DecodeEvent(payload []byte) (Event, error) {
	var w eventWire
	if err := json.Unmarshal(payload, &w); err != nil {
		return Event{}, err
	}
	if w.UserID == "" || (w.Status != "online" && w.Status != "offline") {
		return Event{}, errors.New("presence: malformed event")
	}
	e := Event{UserID: w.UserID, Online: w.Status == "online", Rooms: w.Rooms}
	if w.LastSeen > 0 {
		e.LastSeen = time.UnixMilli(w.LastSeen).UTC()
	}
	return e, nil
}

// Typing is a typing indicator: Active for typing-start, false for stop.
type Typing struct {
	UserID string
	RoomID string
	Active bool
}

type typingWire struct {
	UserID string `json:"userId"`
	RoomID string `json:"roomId"`
	State  string `json:"state"`
}

// DecodeTyping reads a message of the typing channel.
func DecodeTyping(payload []byte) (Typing, error) {
	var w typingWire
	if err := json.Unmarshal(payload, &w); err != nil {
		return Typing{}, err
	}
	if w.UserID == "" || w.RoomID == "" || (w.State != "start" && w.State != "stop") {
		return Typing{}, errors.New("presence: malformed typing message")
	}
	return Typing{UserID: w.UserID, RoomID: w.RoomID, Active: w.State == "start"}, nil
}
