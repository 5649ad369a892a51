// The pacer's budgets, slots and pauses, and what this app last wrote on each check, in Redis:
// shared by every replica of the app. Each step that reads and writes is one Lua script, so it
// is atomic; times come from Redis's own clock, so replicas' clocks need not agree.
import type { Redis } from "ioredis";
import type { CheckStore } from "./check-runs.js";
import { LuaScript } from "./lua-script.js";
import type { Budget, PacingStore, Reservation } from "./pacing-store.js";

/** The prefix of every key this app writes besides the queue's. */
const PREFIX = "compliance-gate";

/** Redis's clock in epoch milliseconds, inside a script. */
export const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: the pause, then one arrival time per budget. ARGV: per budget capacity, intervalMs, cost.
 * The steps of pacing-store.ts's reserveAt; returns {1, pausedMs} or {0, waitMs}.
 */
const RESERVE = new LuaScript(
  `${NOW}
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused > now then return {1, math.ceil(paused - now)} end
local n = #KEYS - 1
local stored = {}
local sendAt = now
for i = 1, n do
  local cap, interval, cost = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
  stored[i] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  local allowAt = math.max(stored[i], now) + (cost - cap) * interval
  if allowAt > sendAt then sendAt = allowAt end
end
for i = 1, n do
  local interval, cost = tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
  local tat = math.max(stored[i], sendAt) + cost * interval
  redis.call('SET', KEYS[i + 1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
end
return {0, math.ceil(sendAt - now)}`,
  undefined,
);

/**
 * KEYS: the slots (a sorted set: member, the holder; score, until when). ARGV: id, limit, leaseMs.
 * Returns 1 when a slot is held. A holder that dies frees its slot when its lease runs out. Also
 * the places of an installation's runs in the queue (app/queue/shared-runs.ts).
 */
export const ACQUIRE_SLOT = new LuaScript(
  `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`,
  1,
);

/** KEYS: the pause. ARGV: ms. A longer pause already set stands. */
const PAUSE = new LuaScript(
  `${NOW}
local untilAt = now + tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') < untilAt then redis.call('SET', KEYS[1], untilAt, 'PX', tonumber(ARGV[1])) end
return 1`,
  1,
);

/** The pacer's state in Redis. Keys carry the installation in braces: one Redis Cluster slot per installation. */
export class RedisPacingStore implements PacingStore {
  constructor(private readonly redis: Redis) {}

  private key(installation: string, what: string): string {
    return `${PREFIX}:pace:{${installation}}:${what}`;
  }

  async reserve(installation: string, budgets: readonly Budget[]): Promise<Reservation> {
    const keys = [this.key(installation, "pause"), ...budgets.map((budget) => this.key(installation, budget.name))];
    const args = budgets.flatMap((budget) => [budget.capacity, budget.intervalMs, budget.cost].map(String));
    const [paused, ms] = (await RESERVE.run(this.redis, keys, args)) as [number, number];
    return paused === 1 ? { pausedMs: ms } : { waitMs: Math.max(0, ms) };
  }

  async acquire(installation: string, id: string, limit: number, leaseMs: number): Promise<boolean> {
    return (await ACQUIRE_SLOT.run(this.redis, [this.key(installation, "slots")], [id, String(limit), String(leaseMs)])) === 1;
  }

  async release(installation: string, id: string): Promise<void> {
    await this.redis.zrem(this.key(installation, "slots"), id);
  }

  async pause(installation: string, ms: number): Promise<void> {
    await PAUSE.run(this.redis, [this.key(installation, "pause")], [String(Math.ceil(ms))]);
  }
}

/** How long what was written on a check is remembered: a PR quiet for longer gets its checks written once more. */
const CHECK_STORE_TTL_MS = 14 * 86_400_000;

/** What this app last wrote on each check, in Redis, for `ttlMs`. */
export class RedisCheckStore implements CheckStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs = CHECK_STORE_TTL_MS,
  ) {}

  private key(key: string): string {
    return `${PREFIX}:check:${key}`;
  }

  async get(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.mget(...keys.map((key) => this.key(key)));
    return values.map((value) => value ?? undefined);
  }

  async set(entries: readonly (readonly [string, string])[]): Promise<void> {
    if (entries.length === 0) return;
    const batch = this.redis.multi();
    for (const [key, value] of entries) batch.set(this.key(key), value, "PX", this.ttlMs);
    const results = await batch.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
  }

  async forget(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }
}
