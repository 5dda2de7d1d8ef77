package messagingtest_test

import (
	"testing"

	"github.com/chatforge/chat/modules/messaging/messagingtest"
)

// The fake passes the same contract as the PostgreSQL store.
func TestStoreContract(t *testing.T) {
	messagingtest.RunContract(t, func(t *testing.T) messagingtest.Harness {
		s := messagingtest.NewStore()
		return messagingtest.Harness{Ports: s.Ports(), Outbox: s, AddUser: func(testing.TB) string { return s.AddUser() }}
	})
}
