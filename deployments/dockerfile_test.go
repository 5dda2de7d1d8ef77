package deployments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerfile checks the image build offline (Docker is not needed): a
// static build of every binary under apps/, a non-root final stage, and
// the compose file and chart's commands among its binaries (compose_test.go).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "go build", "./apps/...", "gcr.io/distroless/static", "USER 65532:65532"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	stages := strings.Count(df, "\nFROM ")
	if stages < 2 {
		t.Errorf("Dockerfile has %d stages, want a multi-stage build", stages)
	}
	if last := df[strings.LastIndex(df, "\nFROM "):]; !strings.Contains(last, "USER 65532") {
		t.Error("the final stage does not switch to the non-root user")
	}
}
