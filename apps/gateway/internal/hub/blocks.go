package hub

// SetBlocked replaces the set of users c's user blocks (ARCHITECTURE.md
// section 9): frames about them (typing, presence) are not delivered to c.
// Safe to call from any goroutine.
func (c *Conn) SetBlocked(userIDs []string) {
	if len(userIDs) == 0 {
		c.blocked.Store(nil)
		return
	}
	set := make(map[string]struct{}, len(userIDs))
	for _, id := range userIDs {
		set[id] = struct{}{}
	}
	c.blocked.Store(&set)
}

// Blocks reports whether c's user blocks userID. One atomic load when the
// user blocks nobody: the fan-out hot path pays nothing more.
func (c *Conn) Blocks(userID string) bool {
	p := c.blocked.Load()
	if p == nil || userID == "" {
		return false
	}
	_, ok := (*p)[userID]
	return ok
}
