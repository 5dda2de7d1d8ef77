package localdisk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/attachments/internal/adapters/blobtest"
	"github.com/chatforge/chat/modules/attachments/internal/adapters/localdisk"
)

func TestContract(t *testing.T) {
	s, err := localdisk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, s)
}

func TestKeysStayInsideTheDirectory(t *testing.T) {
	s, err := localdisk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"../x", "a/b", "", ".."} {
		if err := s.Put(context.Background(), k, strings.NewReader("x"), 1, ""); err == nil {
			t.Errorf("Put(%q) accepted", k)
		}
	}
}
