package socket

import (
	"testing"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/modules/messaging"
)

func TestRecentIDsForgetsOldest(t *testing.T) {
	t.Parallel()
	r := newRecentIDs(2)
	if !r.add("a") || !r.add("b") || r.add("a") {
		t.Fatal("duplicate within the window not detected")
	}
	r.add("c") // evicts a
	if !r.add("a") || r.add("c") {
		t.Error("window did not slide")
	}
}

// The protocol package keeps its own copy of the global room id (it
// imports no module); it must be messaging's.
func TestGlobalRoomIDMatchesMessaging(t *testing.T) {
	if protocol.GlobalRoomID != messaging.GlobalRoomID {
		t.Errorf("protocol.GlobalRoomID = %s, messaging's = %s", protocol.GlobalRoomID, messaging.GlobalRoomID)
	}
}
