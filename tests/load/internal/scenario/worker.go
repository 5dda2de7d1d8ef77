package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/chatforge/chat/tests/load/internal/fleet"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

// command is what the parent sends a shard. The first one carries the
// config and the shard's range; then one per step; stdin closing means stop.
type command struct {
	Config *Config `json:"config,omitempty"`
	From   int     `json:"from,omitempty"`
	To     int     `json:"to,omitempty"`
	Step   *Step   `json:"step,omitempty"`
	Start  int64   `json:"start,omitempty"` // unix nanos; every shard starts a step together
}

// answer is what a shard sends back.
type answer struct {
	Setup *SetupResult `json:"setup,omitempty"`
	Step  *StepResult  `json:"stepResult,omitempty"`
	Error string       `json:"error,omitempty"`
}

// worker runs one shard, here or in a child process.
type worker interface {
	setup() (*SetupResult, error) // blocks until connected and joined
	start(st Step, at time.Time)  // begins a step
	result() (*StepResult, error) // blocks until the step's result
	stop()                        // closes the sockets and ends the shard
	pid() int                     // 0: this process
}

// localWorker runs a shard in this process.
type localWorker struct {
	ctx context.Context
	sh  *Shard
	out chan *StepResult
}

func newLocalWorker(ctx context.Context, cfg Config, s seed.File, from, to int) *localWorker {
	return &localWorker{ctx: ctx, sh: NewShard(cfg, s, from, to), out: make(chan *StepResult, 1)}
}

func (w *localWorker) setup() (*SetupResult, error) { return w.sh.Setup(w.ctx), nil }
func (w *localWorker) start(st Step, at time.Time) {
	go func() { w.out <- w.sh.RunStep(w.ctx, st, at) }()
}
func (w *localWorker) result() (*StepResult, error) { return <-w.out, nil }
func (w *localWorker) stop()                        { w.sh.Close() }
func (w *localWorker) pid() int                     { return 0 }

// childWorker runs a shard in a child process (see ChildMain).
type childWorker struct {
	c   *fleet.Child
	err error
}

func newChildWorker(ctx context.Context, cfg Config, from, to int) (*childWorker, error) {
	c, err := fleet.Spawn(ctx, "shard")
	if err != nil {
		return nil, err
	}
	if err := c.Send(command{Config: &cfg, From: from, To: to}); err != nil {
		return nil, err
	}
	return &childWorker{c: c}, nil
}

func (w *childWorker) recv() (answer, error) {
	var a answer
	if err := w.c.Recv(&a); err != nil {
		return a, err
	}
	if a.Error != "" {
		return a, errors.New(a.Error)
	}
	return a, nil
}

func (w *childWorker) setup() (*SetupResult, error) {
	a, err := w.recv()
	if err == nil && a.Setup == nil {
		err = fmt.Errorf("child %d: no setup result", w.c.Pid())
	}
	return a.Setup, err
}

func (w *childWorker) start(st Step, at time.Time) {
	w.err = w.c.Send(command{Step: &st, Start: at.UnixNano()})
}

func (w *childWorker) result() (*StepResult, error) {
	if w.err != nil {
		return nil, w.err
	}
	a, err := w.recv()
	if err == nil && a.Step == nil {
		err = fmt.Errorf("child %d: no step result", w.c.Pid())
	}
	return a.Step, err
}

func (w *childWorker) stop()    { _ = w.c.Wait() }
func (w *childWorker) pid() int { return w.c.Pid() }

// ChildMain is the body of a shard child process: it reads its config,
// connects, reports, runs steps as told, and closes its sockets when the
// parent closes its stdin.
func ChildMain(ctx context.Context, link *fleet.Link) error {
	var first command
	if err := link.Recv(&first); err != nil || first.Config == nil {
		return fmt.Errorf("shard: no config from the parent: %v", err)
	}
	s, err := seed.Read(first.Config.SeedPath)
	if err != nil {
		_ = link.Send(answer{Error: err.Error()})
		return err
	}
	sh := NewShard(*first.Config, s, first.From, first.To)
	defer sh.Close()
	if err := link.Send(answer{Setup: sh.Setup(ctx)}); err != nil {
		return err
	}
	for {
		var cmd command
		if err := link.Recv(&cmd); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if cmd.Step == nil {
			continue
		}
		if err := link.Send(answer{Step: sh.RunStep(ctx, *cmd.Step, time.Unix(0, cmd.Start))}); err != nil {
			return err
		}
	}
}
