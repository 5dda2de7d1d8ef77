// Package notifytest holds in-memory doubles for the notify module's
// collaborators, for tests of code that wires or feeds the module.
package notifytest

import (
	"context"
	"sync"
)

// Online is an OnlineChecker (notify.OnlineChecker) over a set of user
// IDs. The zero value has everyone offline. Safe for concurrent use.
type Online struct {
	mu  sync.Mutex
	ids map[string]bool
}

// Set marks userID online or offline.
func (o *Online) Set(userID string, online bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ids == nil {
		o.ids = map[string]bool{}
	}
	o.ids[userID] = online
}

// Online implements notify.OnlineChecker.
func (o *Online) Online(_ context.Context, userIDs []string) (map[string]bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]bool, len(userIDs))
	for _, id := range userIDs {
		out[id] = o.ids[id]
	}
	return out, nil
}
