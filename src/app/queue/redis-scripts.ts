// The Lua scripts of the queue in Redis: each runs atomically in Redis, which is what makes "one run
// per key, anywhere" hold; "nothing queued is left behind" is the tickets' (redis-later.ts).
import { LuaScript } from "../../github/lua-script.js";

/**
 * Queues a job, in one command (a delivery's answer waits for it): pushes ARGV[1] on the key's
 * pending list (KEYS[2]) and returns 1 when the job needs a ticket of its own — no ticket of its line
 * is on its way for the key (its mark, KEYS[1], was not set: set now for ARGV[2] ms; TAKE clears
 * it), or no job of the key was waiting (its jobs were taken, perhaps by an older replica whose TAKE
 * leaves marks) — else 0. A ticket needed is noted as owed in KEYS[3] (member ARGV[3], score
 * ARGV[4]; the newest ARGV[5] kept) until it is added (owed-tickets.ts): a job riding on another's
 * ticket owes none. A person's event (ARGV[6] = "1") makes the key (ARGV[7]) fresh in KEYS[4]
 * (score ARGV[4]; the newest ARGV[8] kept; the set gone ARGV[9] ms after its last touch).
 */
export const PUT = new LuaScript(
  `
local marked = redis.call("SET", KEYS[1], "1", "PX", ARGV[2], "NX")
local length = redis.call("RPUSH", KEYS[2], ARGV[1])
if ARGV[6] == "1" then
  redis.call("ZADD", KEYS[4], "GT", ARGV[4], ARGV[7])
  redis.call("ZREMRANGEBYRANK", KEYS[4], 0, -tonumber(ARGV[8]) - 1)
  redis.call("PEXPIRE", KEYS[4], ARGV[9])
end
if marked or length == 1 then
  redis.call("ZADD", KEYS[3], ARGV[4], ARGV[3])
  redis.call("ZREMRANGEBYRANK", KEYS[3], 0, -tonumber(ARGV[5]) - 1)
  return 1
end
return 0`,
  4,
);

/**
 * Takes the key's lease: KEYS[1] the lease, ARGV[1] the holder (the ticket's token, "#", and a
 * nonce of this run), ARGV[2] its length in ms, ARGV[3] the ticket's token. 1 when taken — also
 * from an earlier run of the same ticket (a replica that died, or a ticket run again after a
 * failure: BullMQ hands it on once the dead one's lock expired). The nonce fences that earlier run
 * off: every later check compares the whole holder. Taken, the key has no waiter (KEYS[2]) any more.
 */
export const ACQUIRE = new LuaScript(
  `
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
return 0`,
  2,
);

/**
 * For a ticket whose key is held: 0 when the key has no work left (KEYS[1] pending, KEYS[2]
 * running), else whether it is the one ticket waiting for the key (KEYS[3]): ARGV[1] becomes it,
 * for ARGV[2] ms, unless another is — 1 when this one waits (it comes back soon), 2 when another
 * does (it comes back less often). The waiter stops being one when it takes the key (ACQUIRE),
 * finds nothing left to do (WORK), or does not come back in time (a replica died).
 */
export const WAIT = new LuaScript(
  `
if redis.call("EXISTS", KEYS[1], KEYS[2]) == 0 then return 0 end
local waiter = redis.call("GET", KEYS[3])
if waiter and waiter ~= ARGV[1] then return 2 end
redis.call("SET", KEYS[3], ARGV[1], "PX", ARGV[2])
return 1`,
  3,
);

/**
 * Whether the key has work (KEYS[1] pending or KEYS[2] running non-empty): their count. A ticket
 * finding none ends; if it was the key's waiter (KEYS[3] = ARGV[1]), the key has none any more.
 */
export const WORK = new LuaScript(
  `
local n = redis.call("EXISTS", KEYS[1], KEYS[2])
if n == 0 and redis.call("GET", KEYS[3]) == ARGV[1] then redis.call("DEL", KEYS[3]) end
return n`,
  3,
);

/** Extends the lease while its run goes on: 1, or 0 when it is no longer the token's. */
export const RENEW = new LuaScript(
  `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
return 0`,
  1,
);

/**
 * Moves every job waiting (KEYS[1], pending) behind those a run took and did not finish (KEYS[2],
 * running: a run that died leaves them there) and returns them all, oldest first — only while the
 * lease (KEYS[3]) is the token's (ARGV[1]). While Redis is known to have lost data (KEYS[5], lost-at,
 * set), a take that found jobs notes when, by Redis's clock, in KEYS[4] for ARGV[2] ms: the sweep
 * then leaves the key (StoreLoss.covered). KEYS[6], KEYS[7]: the marks of a ticket per line not yet
 * taken the key's jobs (put): gone, so the next job of the key gets a ticket of its own.
 */
export const TAKE = new LuaScript(
  `
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
return taken`,
  7,
);

/** A run finished: what it took (KEYS[1], running) is done — if the lease (KEYS[2]) is still the token's. */
export const FINISH = new LuaScript(
  `
if redis.call("GET", KEYS[2]) ~= ARGV[1] then return 0 end
redis.call("DEL", KEYS[1])
return 1`,
  2,
);

/** Lets go of the lease (KEYS[1]) if it is still the token's (ARGV[1]). */
export const RELEASE = new LuaScript(
  `
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end
return 1`,
  1,
);

/** Deletes the delayed entry ARGV[1] of the hash KEYS[1] if it still names the job ARGV[2]. */
export const FORGET_IF = new LuaScript(
  `
local current = redis.call("HGET", KEYS[1], ARGV[1])
if current and cjson.decode(current).id == ARGV[2] then
  redis.call("HDEL", KEYS[1], ARGV[1])
  return 1
end
return 0`,
  1,
);
