// Package limits holds the gateway's per-connection and per-user limits
// that every transport applies alike (the /ws WebSocket and Socket.IO):
// FrameRate, the policy for a connection's frame rate (answer
// rate_limited with a retry hint, close only on abuse), and Sockets, the
// number of concurrent sockets a user may hold across every gateway.
package limits
