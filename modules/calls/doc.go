// Package calls is the call signaling module (ARCHITECTURE.md section 10):
// WebRTC offers, answers and ICE candidates relayed between the members of
// a room, ring timeouts, busy answers, the call entry in the room's history,
// and time-limited TURN credentials (GET /api/calls/ice-servers). Media
// never passes through the server.
//
// The gateways forward the socket events call-invite, call-answer, call-ice
// and call-hangup to the api through the command stream (messaging's
// RunCommands hands them to HandleCommand); the state of each call is a
// PostgreSQL row moved by conditional updates, so any api instance may run
// any command or end a call whose ring timed out (RunSweeper) and no two
// can both win a transition. What goes to sockets is published on the
// Redis channel signal.Channel, addressed to users or sessions; every
// gateway delivers it to its own sockets.
package calls
