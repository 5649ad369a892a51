// The places of an installation's runs across replicas (queue/shared-runs.ts), on a real Redis: two
// replicas together keep to one replica's limit for an installation, a place is freed when left or
// when the replica holding it dies (its lease runs out), each line and installation counts apart, and
// a Redis that fails refuses the place without keeping this replica's share of it.
import { Redis } from "ioredis";
import { PLACE_LEASE_MS, RunPlaces } from "../../src/app/queue/shared-runs.js";
import { START_LIMIT } from "../../src/app/queue/fair-line.js";
import { eventually, sharedRedis, uniquePrefix } from "../support/redis.js";

describe("places of an installation's runs on every replica", () => {
  let redis: { url: string; close: () => Promise<void> };
  const connections: Redis[] = [];
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => (connection.status === "end" ? undefined : connection.quit().catch(() => undefined))));
    await redis.close();
  });

  /** A replica's places: its own connection, the test's prefix, 8 interactive and 4 bulk slots. */
  function replica(prefix: string, leaseMs = 30_000): RunPlaces {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    connections.push(connection);
    return new RunPlaces(connection, { interactive: 8, bulk: 4 }, (line, group) => `${prefix}:runs:${line}:${group}`, leaseMs);
  }

  test("a second replica gets no place for an installation whose limit the first one's run fills, and gets it once that run left", async () => {
    expect(START_LIMIT).toBe(1);
    const prefix = uniquePrefix();
    const [one, two] = [replica(prefix), replica(prefix)];
    const first = await one.enter("interactive", "1");
    expect(first).toBeDefined();
    // Each replica alone would allow one run of installation 1: together they allow one, not two.
    expect(await two.enter("interactive", "1")).toBeUndefined();
    expect(await one.enter("interactive", "1")).toBeUndefined();
    await first?.leave(false);
    const second = await two.enter("interactive", "1");
    expect(second).toBeDefined();
    await second?.leave(false);
  });

  test("lines and installations count apart: a bulk run and another installation's run each get a place", async () => {
    const prefix = uniquePrefix();
    const [one, two] = [replica(prefix), replica(prefix)];
    const places = [await one.enter("interactive", "1"), await two.enter("bulk", "1"), await two.enter("interactive", "2")];
    expect(places.every((place) => place !== undefined)).toBe(true);
    for (const place of places) await place?.leave(false);
  });

  test("runs that ended with room at GitHub raise the limit: the replica's limit, counted on every replica", async () => {
    const prefix = uniquePrefix();
    const [one, two] = [replica(prefix), replica(prefix)];
    one.paceWith(() => false);
    // A run that ran a job with room at GitHub adds one to `one`'s limit of installation 1 (AIMD).
    await (await one.enter("interactive", "1"))?.leave(true);
    const a = await one.enter("interactive", "1");
    const b = await one.enter("interactive", "1");
    expect([a, b].every((place) => place !== undefined)).toBe(true);
    // `two` still allows one: the two places `one` holds fill it.
    expect(await two.enter("interactive", "1")).toBeUndefined();
    await a?.leave(false);
    await b?.leave(false);
  });

  test("a replica that dies holding a place frees it when its lease runs out, not before", async () => {
    const prefix = uniquePrefix();
    const dead = replica(prefix, 400);
    const held = await dead.enter("interactive", "1");
    expect(held).toBeDefined();
    // The dead replica's renewals stop (its connection gone); its place outlives it by the lease.
    connections.at(-1)?.disconnect();
    const other = replica(prefix, 400);
    expect(await other.enter("interactive", "1")).toBeUndefined();
    const place = await eventually("the dead replica's place freed", () => other.enter("interactive", "1"), 5_000);
    await place.leave(false);
  });

  test("a place outlives a dead replica by at most PLACE_LEASE_MS (10 s), whatever the queue's lease (30 s here)", async () => {
    const prefix = uniquePrefix();
    const places = replica(prefix, 30_000);
    const held = await places.enter("interactive", "1");
    const admin = connections.at(-1) as Redis;
    const [until] = await admin.zrange(`${prefix}:runs:interactive:1`, 0, 0, "WITHSCORES").then((pair) => pair.slice(1).map(Number));
    const [seconds, micros] = (await admin.time()).map(Number) as [number, number];
    const now = seconds * 1000 + Math.floor(micros / 1000);
    expect(PLACE_LEASE_MS).toBe(10_000);
    expect((until as number) - now).toBeLessThanOrEqual(PLACE_LEASE_MS);
    expect((until as number) - now).toBeGreaterThan(PLACE_LEASE_MS - 2_000);
    await held?.leave(false);
  });

  test("a place held longer than its lease is kept by its renewals", async () => {
    const prefix = uniquePrefix();
    const [one, two] = [replica(prefix, 300), replica(prefix, 300)];
    const held = await one.enter("interactive", "1");
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await two.enter("interactive", "1")).toBeUndefined();
    await held?.leave(false);
    expect(await two.enter("interactive", "1")).toBeDefined();
  });

  test("Redis failing: entering rejects, and this replica's share of the installation is not kept by the failed try", async () => {
    const prefix = uniquePrefix();
    const broken = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true, enableOfflineQueue: false });
    connections.push(broken);
    const places = new RunPlaces(broken, { interactive: 8, bulk: 4 }, (line, group) => `${prefix}:runs:${line}:${group}`, 30_000);
    await expect(places.enter("interactive", "1")).rejects.toThrow();
    await eventually("Redis answering", () => (broken.status === "ready" ? true : undefined));
    // Had the failed try kept its local place, the limit of one would refuse this.
    const place = await places.enter("interactive", "1");
    expect(place).toBeDefined();
    await place?.leave(false);
  });
});
