// Package fleet runs copies of this program as child processes and talks
// to each over its standard streams with JSON values: the parent writes
// commands on the child's stdin, the child answers on its stdout, and the
// child's stderr goes to the parent's. One process may hold only ~20k open
// files here, so a load of 100k sockets needs several.
package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
)

// Child is a running copy of this program.
type Child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	dec  *json.Decoder
	wmu  sync.Mutex
	done chan struct{}
	err  error
}

// Spawn starts this program's executable with args. The child must call
// Stdio and speak JSON on it. ctx kills the child when done.
func Spawn(ctx context.Context, args ...string) (*Child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("fleet: start child: %w", err)
	}
	c := &Child{cmd: cmd, in: in, dec: json.NewDecoder(bufio.NewReaderSize(out, 1<<20)), done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Send writes one JSON value to the child.
func (c *Child) Send(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return json.NewEncoder(c.in).Encode(v)
}

// Recv reads the child's next JSON value. At the end of its output it
// returns the child's exit error, or io.ErrUnexpectedEOF.
func (c *Child) Recv(v any) error {
	err := c.dec.Decode(v)
	if errors.Is(err, io.EOF) {
		<-c.done
		if c.err != nil {
			return fmt.Errorf("fleet: child %d exited: %w", c.Pid(), c.err)
		}
		return io.ErrUnexpectedEOF
	}
	return err
}

// Wait closes the child's stdin (its signal to finish) and waits for it.
func (c *Child) Wait() error {
	_ = c.in.Close()
	<-c.done
	return c.err
}

// Link is the child's side: JSON values in on stdin, out on stdout.
type Link struct {
	dec *json.Decoder
	mu  sync.Mutex
	enc *json.Encoder
}

// Stdio returns the child's link to its parent. Nothing else may write to
// stdout: logs go to stderr.
func Stdio() *Link {
	return &Link{dec: json.NewDecoder(bufio.NewReader(os.Stdin)), enc: json.NewEncoder(os.Stdout)}
}

// NewLink is a link over any streams (tests).
func NewLink(r io.Reader, w io.Writer) *Link {
	return &Link{dec: json.NewDecoder(r), enc: json.NewEncoder(w)}
}

// Send writes one JSON value to the parent.
func (l *Link) Send(v any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.enc.Encode(v)
}

// Recv reads the parent's next JSON value; io.EOF when it closed stdin.
func (l *Link) Recv(v any) error { return l.dec.Decode(v) }
