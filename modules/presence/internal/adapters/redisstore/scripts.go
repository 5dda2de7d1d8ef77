package redisstore

import "github.com/redis/go-redis/v9"

// The scripts keep four keys of one hash slot (hash tag: the prefix):
//
//	exp    sorted set, member "<userId>|<connId>", score = lease expiry (unix ms)
//	count  hash userId -> number of members of exp for that user
//	seen   hash userId -> last seen (unix ms), written when they go offline
//	gone   sorted set, member "<userId>|<connId>" of a released (closed)
//	       connection, score = when the tombstone may go (unix ms)
//
// Every change of exp and count happens in one script, which also publishes
// the resulting transition: a user goes online exactly when their count
// goes 0 -> 1 and offline exactly when it goes 1 -> 0, so each transition
// is announced once even when several gateways heartbeat and sweep at once.
// (Leases that expired but are not swept yet still count: the user stays
// online until the sweep, which bounds the delay.)
//
// A closed connection's lease must never come back: a heartbeat that listed
// the connection just before it closed would otherwise re-add it after the
// release and flap the user online. So heartbeats only renew leases that
// exist (renewScript), and re-taking a lease that is missing (swept while
// its gateway could not reach Redis) goes through acquireScript, which
// refuses connections with a tombstone; release always leaves one, kept
// for a TTL (longer than any heartbeat in flight), pruned by the sweep.

// acquireScript adds or renews leases, skipping released connections.
// KEYS: exp, count, gone. ARGV: channel, then (userId, connId, expiryMs)
// triples. Returns the number of leases that were new (a renewal of a
// swept lease counts as new: the user comes back online).
var acquireScript = redis.NewScript(`
local added = 0
for i = 2, #ARGV, 3 do
  local uid = ARGV[i]
  local member = uid .. '|' .. ARGV[i+1]
  if not redis.call('ZSCORE', KEYS[3], member) and redis.call('ZADD', KEYS[1], ARGV[i+2], member) == 1 then
    added = added + 1
    if redis.call('HINCRBY', KEYS[2], uid, 1) == 1 then
      redis.call('PUBLISH', ARGV[1], cjson.encode({userId = uid, status = 'online'}))
    end
  end
end
return added
`)

// renewScript moves the expiry of leases that exist and touches nothing
// else: no lease is created, no transition happens. KEYS: exp. ARGV:
// (userId, connId, expiryMs) triples. Returns the 1-based positions of the
// leases that were missing.
var renewScript = redis.NewScript(`
local missing = {}
for i = 1, #ARGV, 3 do
  local member = ARGV[i] .. '|' .. ARGV[i+1]
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[i+2], member) == 0 and not redis.call('ZSCORE', KEYS[1], member) then
    missing[#missing+1] = (i + 2) / 3
  end
end
return missing
`)

// releaseScript ends one lease (a connection closed) and leaves the
// connection's tombstone, even when the lease was already swept. KEYS: exp,
// count, seen, gone. ARGV: channel, nowMs, userId, connId, tombstoneUntilMs.
// Returns 0 if the lease was already gone, 1 if the user is still online,
// 2 if they went offline.
var releaseScript = redis.NewScript(`
local uid = ARGV[3]
local member = uid .. '|' .. ARGV[4]
redis.call('ZADD', KEYS[4], ARGV[5], member)
if redis.call('ZREM', KEYS[1], member) == 0 then
  return 0
end
if redis.call('HINCRBY', KEYS[2], uid, -1) > 0 then
  return 1
end
redis.call('HDEL', KEYS[2], uid)
redis.call('HSET', KEYS[3], uid, ARGV[2])
redis.call('PUBLISH', ARGV[1], cjson.encode({userId = uid, status = 'offline', lastSeen = tonumber(ARGV[2])}))
return 2
`)

// expireScript sweeps leases that expired, and tombstones past their time.
// KEYS: exp, count, seen, gone. ARGV: channel, nowMs, ttlMs, limit. The
// last seen time of a user whose gateway died is their last heartbeat
// (expiry - ttl). Returns the number of leases swept.
var expireScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[4]))
local n = 0
for i = 1, #due, 2 do
  local member = due[i]
  local uid = string.match(member, '^([^|]*)|')
  redis.call('ZREM', KEYS[1], member)
  n = n + 1
  if uid and redis.call('HINCRBY', KEYS[2], uid, -1) <= 0 then
    redis.call('HDEL', KEYS[2], uid)
    local seen = tonumber(due[i+1]) - tonumber(ARGV[3])
    redis.call('HSET', KEYS[3], uid, seen)
    redis.call('PUBLISH', ARGV[1], cjson.encode({userId = uid, status = 'offline', lastSeen = seen}))
  end
end
return n
`)

// releaseManyScript is releaseScript for many connections in one call (a
// gateway closing many sockets at once): each connection goes through
// exactly releaseScript's steps, in order, so a user whose last
// connections are all in the batch is announced offline once. KEYS: exp,
// count, seen, gone. ARGV: channel, nowMs, tombstoneUntilMs, then
// (userId, connId) pairs. Returns the number of users that went offline.
var releaseManyScript = redis.NewScript(`
local offline = 0
for i = 4, #ARGV, 2 do
  local uid = ARGV[i]
  local member = uid .. '|' .. ARGV[i+1]
  redis.call('ZADD', KEYS[4], ARGV[3], member)
  if redis.call('ZREM', KEYS[1], member) == 1 then
    if redis.call('HINCRBY', KEYS[2], uid, -1) <= 0 then
      redis.call('HDEL', KEYS[2], uid)
      redis.call('HSET', KEYS[3], uid, ARGV[2])
      redis.call('PUBLISH', ARGV[1], cjson.encode({userId = uid, status = 'offline', lastSeen = tonumber(ARGV[2])}))
      offline = offline + 1
    end
  end
end
return offline
`)
