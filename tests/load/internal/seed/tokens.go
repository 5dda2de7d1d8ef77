package seed

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chatforge/chat/platform/authn"
)

// minRemaining is how long cached tokens must still be valid to be reused:
// longer than any benchmark run.
const minRemaining = 6 * time.Hour

// tokenHeader is the first line of a token file. Tokens are reused only
// when minted by the same key for the same issuer and audience.
type tokenHeader struct {
	Kid, Issuer, Audience string
	Expires               time.Time // the earliest exp of the file's tokens
}

func (h tokenHeader) String() string {
	return fmt.Sprintf("# chatforge load tokens kid=%s iss=%s aud=%s exp=%d", h.Kid, h.Issuer, h.Audience, h.Expires.Unix())
}

func parseHeader(line string) (tokenHeader, bool) {
	var h tokenHeader
	var exp int64
	_, err := fmt.Sscanf(line, "# chatforge load tokens kid=%s iss=%s aud=%s exp=%d", &h.Kid, &h.Issuer, &h.Audience, &exp)
	h.Expires = time.Unix(exp, 0)
	return h, err == nil
}

// EnsureTokens makes path hold access tokens for users 0..n-1 (line i+1 is
// user i's), signed by signer for issuer/audience. Valid tokens already in
// the file are kept; only the missing ones are minted, in parallel. It
// returns how many were minted.
func EnsureTokens(path string, signer *authn.Signer, issuer, audience string, n int, now time.Time) (int, error) {
	want := tokenHeader{Kid: signer.KeyID(), Issuer: issuer, Audience: audience}
	have, hdr, err := readAll(path)
	if err != nil || hdr.Kid != want.Kid || hdr.Issuer != issuer || hdr.Audience != audience ||
		hdr.Expires.Before(now.Add(minRemaining)) {
		have, hdr = nil, tokenHeader{}
	}
	if len(have) >= n {
		return 0, nil
	}
	minted, exp, err := mint(signer, len(have), n, now)
	if err != nil {
		return 0, err
	}
	want.Expires = exp
	if !hdr.Expires.IsZero() && hdr.Expires.Before(exp) {
		want.Expires = hdr.Expires
	}
	if err := writeAll(path, want, append(have, minted...)); err != nil {
		return 0, err
	}
	return len(minted), nil
}

// mint signs tokens for users from..to-1 on every CPU.
func mint(signer *authn.Signer, from, to int, now time.Time) ([]string, time.Time, error) {
	out := make([]string, to-from)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		first   error
		expires time.Time
	)
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := from + w; i < to; i += workers {
				tok, exp, err := signer.Sign(UserID(i), SessionID(i), now)
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				out[i-from] = tok
				if i == from {
					expires = exp
				}
			}
		})
	}
	wg.Wait()
	return out, expires, first
}

func readAll(path string) ([]string, tokenHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, tokenHeader{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	if !sc.Scan() {
		return nil, tokenHeader{}, fmt.Errorf("seed: %s is empty", path)
	}
	hdr, ok := parseHeader(sc.Text())
	if !ok {
		return nil, tokenHeader{}, fmt.Errorf("seed: %s: bad header", path)
	}
	var toks []string
	for sc.Scan() {
		toks = append(toks, sc.Text())
	}
	return toks, hdr, sc.Err()
}

// writeAll replaces path atomically, so a crash never leaves half a cache.
func writeAll(path string, hdr tokenHeader, toks []string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600) // tokens are credentials
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, hdr)
	for _, t := range toks {
		w.WriteString(t)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadTokens returns the tokens of users from..to-1 of a token file.
func ReadTokens(path string, from, to int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seed: tokens: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	out := make([]string, 0, to-from)
	for line := -1; line < to && sc.Scan(); line++ {
		if line >= from && !strings.HasPrefix(sc.Text(), "#") {
			out = append(out, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) != to-from {
		return nil, fmt.Errorf("seed: %s holds tokens for fewer than %d users; seed more", path, to)
	}
	return out, nil
}
