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
   * Defines every script made so far on `redis`: done when an auto-pipelined connection is made.
   * ioredis 5 builds each auto-pipeline with the commands defined when it began, and one defined
   * later breaks it — its reply callbacks misalign and a TypeError escapes the process
   * (redis/ioredis#1931). A script not defined on such a connection is sent by EVAL instead (run()).
   */
  static defineAll(redis: Redis): void {
    for (const script of ALL) script.define(redis);
  }

  /** Every script made so far. */
  static made(): readonly LuaScript[] {
    return [...ALL];
  }

  /** Whether `redis` has this script as a command of its own (defineAll, or a first run()). */
  isDefinedOn(redis: Redis): boolean {
    return typeof (redis as unknown as Record<string, Run | undefined>)[this.name] === "function";
  }

  private define(redis: Redis): void {
    // Without a declared count, ioredis takes it as the first argument.
    if (!this.isDefinedOn(redis)) redis.defineCommand(this.name, { ...(this.keys !== undefined ? { numberOfKeys: this.keys } : {}), lua: this.lua });
  }

  /** Runs the script on `redis` with `keys` (as many as declared) then `args`. */
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[] = []): Promise<unknown> {
    if (this.keys !== undefined && keys.length !== this.keys) return Promise.reject(new Error(`a Lua script takes ${this.keys} keys, given ${keys.length}`));
    const commands = redis as unknown as Record<string, Run | undefined>;
    const all = [...(this.keys === undefined ? [keys.length] : []), ...keys, ...args];
    if (!this.isDefinedOn(redis)) {
      // Never defined late on an auto-pipelined connection (see defineAll): EVAL, a command every
      // pipeline has, keeps its place in the turn's order.
      if (redis.options.enableAutoPipelining === true) return redis.eval(this.lua, this.keys ?? keys.length, ...keys, ...args);
      this.define(redis);
    }
    return (commands[this.name] as Run).call(redis, ...all);
  }
}
