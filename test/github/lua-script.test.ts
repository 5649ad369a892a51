// Scripts are sent by their hash (EVALSHA) once a connection has them: a Redis that lost its
// scripts (restarted, SCRIPT FLUSH) is sent the text again, and the call still answers.
import { Redis } from "ioredis";
import { LuaScript } from "../../src/github/lua-script.js";
import { sharedRedis, uniquePrefix } from "../support/redis.js";

let redis: { url: string; close: () => Promise<void> };
let client: Redis;
beforeAll(async () => {
  redis = await sharedRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client.disconnect();
  await redis.close();
});

const INCR_BY = new LuaScript(`return redis.call("INCRBY", KEYS[1], ARGV[1])`, 1);

test("a script runs, is sent by its hash after the first call, and again by its text after Redis flushed its scripts", async () => {
  const key = `${uniquePrefix()}:n`;
  const sentinel = `${key}:done`;
  const sent: string[] = [];
  let seenSentinel: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (seenSentinel = resolve));
  const monitor = await client.monitor();
  // Only this test's commands: other clients of the shared Redis send scripts too.
  monitor.on("monitor", (_time: string, args: string[]) => {
    if (args.includes(sentinel)) seenSentinel();
    else if (args.includes(key) && args[0]?.toLowerCase().startsWith("eval")) sent.push(args[0].toLowerCase());
  });
  try {
    expect(await INCR_BY.run(client, [key], [2])).toBe(2);
    expect(await INCR_BY.run(client, [key], [3])).toBe(5);
    await client.script("FLUSH");
    expect(await INCR_BY.run(client, [key], [4])).toBe(9);
    // Seen by the monitor after every command before it on the same connection.
    await client.get(sentinel);
    await done;
    // The text once, the hash after; flushed: the hash refused (NOSCRIPT), then the text again.
    expect(sent).toEqual(["eval", "evalsha", "evalsha", "eval"]);
  } finally {
    monitor.disconnect();
  }
});

test("keys given apart from arguments: a count other than the declared one is refused before Redis is asked", async () => {
  await expect(INCR_BY.run(client, [], [1])).rejects.toThrow("takes 1 keys, given 0");
  // As many keys as each call gives: its keys land in KEYS, its arguments in ARGV.
  const COUNT = new LuaScript(`return {KEYS, ARGV}`, undefined);
  expect(await COUNT.run(client, ["ab", "cde"], ["x"])).toEqual([["ab", "cde"], ["x"]]);
  expect(await COUNT.run(client, ["ab"], ["x", "y"])).toEqual([["ab"], ["x", "y"]]);
});

test("the same text declared with another key count is a command of its own on the connection", async () => {
  const key = `${uniquePrefix()}:k`;
  const text = `return {#KEYS, #ARGV}`;
  expect(await new LuaScript(text, 1).run(client, [key], ["a", "b"])).toEqual([1, 2]);
  expect(await new LuaScript(text, undefined).run(client, [key, key], ["a"])).toEqual([2, 1]);
});

test("on an auto-pipelined connection, a script first run in a turn whose pipeline began is sent after it (ioredis#1931), and both answer", async () => {
  const piped = new Redis(redis.url, { enableAutoPipelining: true });
  try {
    await piped.ping();
    const key = `${uniquePrefix()}:p`;
    const late = new LuaScript(`return redis.call("INCRBY", KEYS[1], ARGV[1]) .. "|late"`, 1);
    // The turn's pipeline begins with the SET; the script is defined after it, in the same turn.
    const [set, ran, read] = await Promise.all([piped.set(key, "40"), late.run(piped, [key], [2]), piped.get(key)]);
    expect(set).toBe("OK");
    expect(ran).toBe("42|late");
    // The GET went with the SET, before the script (sent a turn later).
    expect(read).toBe("40");
    // Defined now: the next call goes in its turn's pipeline, in order.
    const [again, after] = await Promise.all([late.run(piped, [key], [1]), piped.get(key)]);
    expect([again, after]).toEqual(["43|late", "43"]);
  } finally {
    piped.disconnect();
  }
});

test("every script made is defined on a connection at once (defineAll), before a turn's pipeline can begin", () => {
  const fresh = new Redis(redis.url, { lazyConnect: true });
  const script = new LuaScript(`return 7`, 0);
  LuaScript.defineAll(fresh);
  // ioredis keeps what was defined: the script is among them.
  expect(Object.keys((fresh as unknown as { scriptsSet: Record<string, unknown> }).scriptsSet).some((name) => name.startsWith("lua_") && name.endsWith("_0"))).toBe(true);
  expect(script).toBeDefined();
  fresh.disconnect();
});
