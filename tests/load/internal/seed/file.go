package seed

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File is what the seed command writes for the workloads: the layout and
// where the tokens are. Its path is passed to every workload with -seed.
type File struct {
	Layout
	KeyID      string    `json:"kid"`
	Issuer     string    `json:"issuer"`
	Audience   string    `json:"audience"`
	TokensFile string    `json:"tokensFile"` // absolute
	CreatedAt  time.Time `json:"createdAt"`
}

// Write stores f as JSON at path.
func (f File) Write(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// Read loads a seed file.
func Read(path string) (File, error) {
	var f File
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("seed file: %w (run the seed workload first)", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("seed file %s: %w", path, err)
	}
	return f, f.Validate()
}

// Tokens returns the tokens of users from..to-1.
func (f File) Tokens(from, to int) ([]string, error) {
	if from < 0 || to > f.Users || from > to {
		return nil, fmt.Errorf("seed: users %d..%d asked, the seed has %d", from, to, f.Users)
	}
	return ReadTokens(f.TokensFile, from, to)
}
