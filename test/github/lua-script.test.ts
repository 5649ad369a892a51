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

test("on an auto-pipelined connection, a script not defined on it goes by EVAL in its turn's order, even behind a pipeline still in flight (ioredis#1931)", async () => {
  const piped = new Redis(redis.url, { enableAutoPipelining: true });
  try {
    await piped.ping();
    const key = `${uniquePrefix()}:p`;
    const late = new LuaScript(`return redis.call("INCRBY", KEYS[1], ARGV[1]) .. "|late"`, 1);
    // A pipeline in flight (a blocking pop answered after 200 ms): the next turn's commands wait in
    // a pipeline begun before the script was known — where a command defined now would be missing.
    const inFlight = piped.blpop(`${key}:empty`, 0.2);
    await new Promise((resolve) => setImmediate(resolve));
    const [set, ran, read] = await Promise.all([piped.set(key, "40"), late.run(piped, [key], [2]), piped.get(key)]);
    expect(await inFlight).toBeNull();
    expect([set, ran, read]).toEqual(["OK", "42|late", "42"]);
    expect(late.isDefinedOn(piped)).toBe(false);
  } finally {
    piped.disconnect();
  }
});

test("defineAll makes every script made so far a command of the connection", () => {
  const fresh = new Redis(redis.url, { lazyConnect: true });
  const script = new LuaScript(`return 7`, 0);
  expect(script.isDefinedOn(fresh)).toBe(false);
  LuaScript.defineAll(fresh);
  expect(script.isDefinedOn(fresh)).toBe(true);
  expect(INCR_BY.isDefinedOn(fresh)).toBe(true);
  fresh.disconnect();
});
