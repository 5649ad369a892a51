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
  const sent: string[] = [];
  const monitor = await client.monitor();
  monitor.on("monitor", (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase().startsWith("eval")) sent.push(args[0].toLowerCase());
  });
  try {
    expect(await INCR_BY.run(client, [key], [2])).toBe(2);
    expect(await INCR_BY.run(client, [key], [3])).toBe(5);
    await client.script("FLUSH");
    expect(await INCR_BY.run(client, [key], [4])).toBe(9);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The text once, the hash after; flushed: the hash refused (NOSCRIPT), then the text again.
    expect(sent).toEqual(["eval", "evalsha", "evalsha", "eval"]);
  } finally {
    monitor.disconnect();
  }
});

test("keys given apart from arguments: a count other than the declared one is refused before Redis is asked", async () => {
  await expect(INCR_BY.run(client, [], [1])).rejects.toThrow("takes 1 keys, given 0");
  const SUM = new LuaScript(`local n = 0 for i = 1, #KEYS do n = n + #KEYS[i] end return n + #ARGV`, undefined);
  expect(await SUM.run(client, ["ab", "cde"], ["x"])).toBe(6);
});
