package identitytest_test

import (
	"testing"

	"github.com/chatforge/chat/modules/identity/identitytest"
	"github.com/chatforge/chat/modules/identity/internal/app"
)

func TestStoreContract(t *testing.T) {
	t.Parallel()
	identitytest.StoreContract(t, func(*testing.T) app.Store { return identitytest.NewStore() })
}
