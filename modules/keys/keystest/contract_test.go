package keystest_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/keys/keystest"
)

func TestFakeStoreContract(t *testing.T) {
	keystest.RunStoreContract(t, func(t *testing.T) keystest.Env {
		s := keystest.NewStore()
		return keystest.Env{
			Store:      s,
			NewUser:    func(*testing.T) string { return uuid.NewString() },
			NewSession: func(*testing.T, string) string { return uuid.NewString() },
			EndSession: func(_ *testing.T, id string) { s.EndSession(id) },
		}
	})
}
