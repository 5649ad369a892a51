// The Lua scripts of the queue in Redis: each runs atomically in Redis, which is what makes "one run
// per key, anywhere" hold; "nothing queued is left behind" is the tickets' (redis-later.ts).

/**
 * Takes the key's lease: KEYS[1] the lease, ARGV[1] the holder (the ticket's token, "#", and a
 * nonce of this run), ARGV[2] its length in ms, ARGV[3] the ticket's token. 1 when taken — also
 * from an earlier run of the same ticket (a replica that died, or a ticket run again after a
 * failure: BullMQ hands it on once the dead one's lock expired). The nonce fences that earlier run
 * off: every later check compares the whole holder. Taken, the key has no waiter (KEYS[2]) any more.
 */
export const ACQUIRE = `
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  redis.call("DEL", KEYS[2])
  return 1
end
local current = redis.call("GET", KEYS[1])
if current and string.sub(current, 1, #ARGV[3] + 1) == ARGV[3] .. "#" then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  redis.call("DEL", KEYS[2])
  return 1
end
return 0`;

/**
 * For a ticket whose key is held: 0 when the key has no work left (KEYS[1] pending, KEYS[2]
 * running), else whether it is the one ticket waiting for the key (KEYS[3]): ARGV[1] becomes it,
 * for ARGV[2] ms, unless another is — 1 when this one waits (it comes back soon), 2 when another
 * does (it comes back less often). The waiter stops being one when it takes the key (ACQUIRE),
 * finds nothing left to do (WORK), or does not come back in time (a replica died).
 */
export const WAIT = `
if redis.call("EXISTS", KEYS[1], KEYS[2]) == 0 then return 0 end
local waiter = redis.call("GET", KEYS[3])
if waiter and waiter ~= ARGV[1] then return 2 end
redis.call("SET", KEYS[3], ARGV[1], "PX", ARGV[2])
return 1`;

/**
 * Whether the key has work (KEYS[1] pending or KEYS[2] running non-empty): their count. A ticket
 * finding none ends; if it was the key's waiter (KEYS[3] = ARGV[1]), the key has none any more.
 */
export const WORK = `
local n = redis.call("EXISTS", KEYS[1], KEYS[2])
if n == 0 and redis.call("GET", KEYS[3]) == ARGV[1] then redis.call("DEL", KEYS[3]) end
return n`;

/** Extends the lease while its run goes on: 1, or 0 when it is no longer the token's. */
export const RENEW = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
return 0`;

/**
 * Moves every job waiting (KEYS[1], pending) behind those a run took and did not finish (KEYS[2],
 * running: a run that died leaves them there) and returns them all, oldest first — only while the
 * lease (KEYS[3]) is the token's (ARGV[1]). While Redis is known to have lost data (KEYS[5], lost-at,
 * set), a take that found jobs notes when, by Redis's clock, in KEYS[4] for ARGV[2] ms: the sweep
 * then leaves the key (StoreLoss.covered). KEYS[6], KEYS[7]: the marks of a ticket per line not yet
 * taken the key's jobs (put): gone, so the next job of the key gets a ticket of its own.
 */
export const TAKE = `
if redis.call("GET", KEYS[3]) ~= ARGV[1] then return false end
redis.call("DEL", KEYS[6], KEYS[7])
local waiting = redis.call("LRANGE", KEYS[1], 0, -1)
for i = 1, #waiting do redis.call("RPUSH", KEYS[2], waiting[i]) end
if #waiting > 0 then redis.call("DEL", KEYS[1]) end
local taken = redis.call("LRANGE", KEYS[2], 0, -1)
if #taken > 0 and redis.call("EXISTS", KEYS[5]) == 1 then
  local now = redis.call("TIME")
  redis.call("SET", KEYS[4], tostring(tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)), "PX", ARGV[2])
end
return taken`;

/** A run finished: what it took (KEYS[1], running) is done — if the lease (KEYS[2]) is still the token's. */
export const FINISH = `
if redis.call("GET", KEYS[2]) ~= ARGV[1] then return 0 end
redis.call("DEL", KEYS[1])
return 1`;

/** Lets go of the lease (KEYS[1]) if it is still the token's (ARGV[1]). */
export const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end
return 1`;

/** Deletes the delayed entry ARGV[1] of the hash KEYS[1] if it still names the job ARGV[2]. */
export const FORGET_IF = `
local current = redis.call("HGET", KEYS[1], ARGV[1])
if current and cjson.decode(current).id == ARGV[2] then
  redis.call("HDEL", KEYS[1], ARGV[1])
  return 1
end
return 0`;
