package wire

// Blocks mirror (ARCHITECTURE.md section 9): the api keeps, in Redis, the
// set of users each user blocks (PostgreSQL is the source of truth; the
// whole set is rewritten after every block or unblock) and publishes the
// blocker's id on BlocksChannel; gateways read the set when a socket
// connects and again when told, and drop the blocked users' typing and
// presence for the blocker's sockets.
const BlocksChannel = "chat:blocks"

// BlocksKey is the Redis set of the user ids userID blocks. The braces
// are a Redis Cluster hash tag.
func BlocksKey(userID string) string { return "chat:blocks:{" + userID + "}" }
