package redisstore

import "github.com/redis/go-redis/v9"

// The scripts keep three keys of one hash slot (hash tag: the prefix):
//
//	exp    sorted set, member "<userId>|<connId>", score = lease expiry (unix ms)
//	count  hash userId -> number of members of exp for that user
//	seen   hash userId -> last seen (unix ms), written when they go offline
//
// Every change of exp and count happens in one script, which also publishes
// the resulting transition: a user goes online exactly when their count
// goes 0 -> 1 and offline exactly when it goes 1 -> 0, so each transition
// is announced once even when several gateways heartbeat and sweep at once.
// (Leases that expired but are not swept yet still count: the user stays
// online until the sweep, which bounds the delay.)

// acquireScript adds or renews leases. KEYS: exp, count. ARGV: channel,
// then (userId, connId, expiryMs) triples. Returns the number of leases
// that were new (a renewal of a swept lease counts as new: the user comes
// back online).
var acquireScript = redis.NewScript(`
local added = 0
for i = 2, #ARGV, 3 do
  local uid = ARGV[i]
  if redis.call('ZADD', KEYS[1], ARGV[i+2], uid .. '|' .. ARGV[i+1]) == 1 then
    added = added + 1
    if redis.call('HINCRBY', KEYS[2], uid, 1) == 1 then
      redis.call('PUBLISH', ARGV[1], cjson.encode({userId = uid, status = 'online'}))
    end
  end
end
return added
`)

// releaseScript ends one lease (a connection closed). KEYS: exp, count,
// seen. ARGV: channel, nowMs, userId, connId. Returns 0 if the lease was
// already gone, 1 if the user is still online, 2 if they went offline.
var releaseScript = redis.NewScript(`
local uid = ARGV[3]
if redis.call('ZREM', KEYS[1], uid .. '|' .. ARGV[4]) == 0 then
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

// expireScript sweeps leases that expired. KEYS: exp, count, seen. ARGV:
// channel, nowMs, ttlMs, limit. The last seen time of a user whose gateway
// died is their last heartbeat (expiry - ttl). Returns the number swept.
var expireScript = redis.NewScript(`
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
