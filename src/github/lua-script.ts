// A Lua script sent to Redis by its SHA1 (EVALSHA) rather than by its text (EVAL) on every call:
// ioredis's defineCommand, which sends the text once per connection and again only if Redis says it
// lost it (NOSCRIPT: a restart, SCRIPT FLUSH). Every call of EVAL ships the whole script and has
// Redis hash it; the queue's and the pacer's scripts run on every delivery and every GitHub request.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

type Run = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

/** Every script made so far (they are module constants, made as their modules load): defineAll's. */
const ALL: LuaScript[] = [];

export class LuaScript {
  /** The command's name on a connection: the script's hash and key count, so two scripts never share one. */
  private readonly name: string;

  constructor(
    readonly lua: string,
    /** How many of a call's arguments are keys (KEYS), the rest ARGV; undefined: as many as each call gives. */
    private readonly keys: number | undefined,
  ) {
    // The key count too: ioredis binds it to the name, and the same text may be declared twice.
    this.name = `lua_${createHash("sha1").update(lua).digest("hex")}_${keys ?? "n"}`;
    ALL.push(this);
  }

  /**
   * Defines every script known on `redis` at once. Needed on an auto-pipelined connection: ioredis
   * 5 builds a turn's pipeline with the commands defined when it began, and a command defined later
   * in the same turn breaks it — the reply callbacks misalign and an exception escapes the process
   * (redis/ioredis#1931). A script defined later still is run a turn later (run()).
   */
  static defineAll(redis: Redis): void {
    for (const script of ALL) script.define(redis);
  }

  private define(redis: Redis): boolean {
    const commands = redis as unknown as Record<string, Run | undefined>;
    if (typeof commands[this.name] === "function") return false;
    // Without a declared count, ioredis takes it as the first argument.
    redis.defineCommand(this.name, { ...(this.keys !== undefined ? { numberOfKeys: this.keys } : {}), lua: this.lua });
    return true;
  }

  /** Runs the script on `redis` with `keys` (as many as declared) then `args`. */
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[] = []): Promise<unknown> {
    if (this.keys !== undefined && keys.length !== this.keys) return Promise.reject(new Error(`a Lua script takes ${this.keys} keys, given ${keys.length}`));
    const commands = redis as unknown as Record<string, Run | undefined>;
    const call = (): Promise<unknown> => (commands[this.name] as Run).call(redis, ...(this.keys === undefined ? [keys.length] : []), ...keys, ...args);
    // Defined only now on an auto-pipelined connection: sent after this turn's pipeline went (defineAll).
    if (this.define(redis) && redis.options.enableAutoPipelining === true) return new Promise((resolve) => setImmediate(resolve)).then(call);
    return call();
  }
}
