// The bounded LRU behind the facts gatherer's caches.
import { LruCache } from "../../src/github/lru-cache.js";

test("evicts the least recently used entry beyond the bound", () => {
  const cache = new LruCache<string, number>({ maxEntries: 2 });
  cache.set("a", 1);
  cache.set("b", 2);
  expect(cache.get("a")).toBe(1); // a is now more recent than b
  cache.set("c", 3);
  expect(cache.get("b")).toBeUndefined();
  expect(cache.get("a")).toBe(1);
  expect(cache.get("c")).toBe(3);
  expect(cache.size).toBe(2);
});

test("entries expire after the TTL", () => {
  let now = 0;
  const cache = new LruCache<string, string>({ maxEntries: 10, ttlMs: 100, clock: () => now });
  cache.set("team", "members");
  now = 99;
  expect(cache.get("team")).toBe("members");
  now = 100;
  expect(cache.get("team")).toBeUndefined();
  expect(cache.size).toBe(0);
});

test("stores null as a value, distinct from absent", () => {
  const cache = new LruCache<string, null>({ maxEntries: 1 });
  cache.set("no-policies", null);
  expect(cache.get("no-policies")).toBeNull();
  cache.delete("no-policies");
  expect(cache.get("no-policies")).toBeUndefined();
});

test("a bound below one is a bug", () => {
  expect(() => new LruCache({ maxEntries: 0 })).toThrow(RangeError);
});

test("a weight bound evicts the least recently used until the sum fits, and refuses a value heavier than it", () => {
  const cache = new LruCache<string, string>({ maxEntries: 10, maxWeight: 10, weigh: (text) => text.length });
  cache.set("a", "xxxx");
  cache.set("b", "xxxx");
  expect(cache.get("a")).toBe("xxxx"); // b is now the least recently used
  cache.set("c", "xxxx");
  expect(cache.get("b")).toBeUndefined();
  expect(cache.weight).toBe(8);
  cache.set("a", "x"); // replacing an entry replaces its weight
  expect(cache.weight).toBe(5);
  cache.set("huge", "x".repeat(11));
  expect(cache.get("huge")).toBeUndefined();
  expect(cache.get("a")).toBe("x");
  expect(cache.weight).toBe(5);
});

test("an expired entry's weight is released", () => {
  let now = 0;
  const cache = new LruCache<string, string>({ maxEntries: 10, ttlMs: 100, clock: () => now, maxWeight: 10, weigh: (text) => text.length });
  cache.set("a", "xxxxxx");
  now = 100;
  expect(cache.get("a")).toBeUndefined();
  cache.set("b", "xxxxxx");
  expect(cache.get("b")).toBe("xxxxxx");
  expect(cache.weight).toBe(6);
});
