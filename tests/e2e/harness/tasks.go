package harness

import (
	"errors"
	"testing"

	"github.com/hibiken/asynq"
)

// Tasks returns the payloads of the tasks of type taskType waiting in queue
// (pending, scheduled or retrying), in no particular order. No worker runs
// in a stack, so every task enqueued by the apis stays there.
func (s *Stack) Tasks(t testing.TB, queue, taskType string) [][]byte {
	t.Helper()
	var opt asynq.RedisConnOpt = asynq.RedisClusterClientOpt{Addrs: s.RedisClusterAddrs}
	if len(s.RedisClusterAddrs) == 0 {
		var err error
		if opt, err = asynq.ParseRedisURI(s.RedisURL); err != nil {
			t.Fatalf("harness: parse %s: %v", s.RedisURL, err)
		}
	}
	in := asynq.NewInspector(opt)
	defer in.Close()

	var out [][]byte
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		in.ListPendingTasks, in.ListScheduledTasks, in.ListRetryTasks,
	} {
		for page := 1; ; page++ {
			infos, err := list(queue, asynq.PageSize(500), asynq.Page(page))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				return nil // nothing was ever enqueued there
			}
			if err != nil {
				t.Fatalf("harness: list tasks of queue %q: %v", queue, err)
			}
			for _, ti := range infos {
				if ti.Type == taskType {
					out = append(out, ti.Payload)
				}
			}
			if len(infos) < 500 {
				break
			}
		}
	}
	return out
}
