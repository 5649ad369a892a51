// A Lua script sent to Redis by its SHA1 (EVALSHA) rather than by its text (EVAL) on every call:
// ioredis's defineCommand, which sends the text once per connection and again only if Redis says it
// lost it (NOSCRIPT: a restart, SCRIPT FLUSH). Every call of EVAL ships the whole script and has
// Redis hash it; the queue's and the pacer's scripts run on every delivery and every GitHub request.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

type Run = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

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
  }

  /** Runs the script on `redis` with `keys` (as many as declared) then `args`. */
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[] = []): Promise<unknown> {
    if (this.keys !== undefined && keys.length !== this.keys) return Promise.reject(new Error(`a Lua script takes ${this.keys} keys, given ${keys.length}`));
    const commands = redis as unknown as Record<string, Run | undefined>;
    // Without a declared count, ioredis takes it as the first argument.
    if (typeof commands[this.name] !== "function") redis.defineCommand(this.name, { ...(this.keys !== undefined ? { numberOfKeys: this.keys } : {}), lua: this.lua });
    return (commands[this.name] as Run).call(redis, ...(this.keys === undefined ? [keys.length] : []), ...keys, ...args);
  }
}
