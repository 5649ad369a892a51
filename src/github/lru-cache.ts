// A bounded least-recently-used map with optional expiry and weight: the adapters' caches.

export interface LruCacheOptions<V = unknown> {
  /** Entries kept at most; the least recently used one goes first. */
  maxEntries: number;
  /** Entries expire this long after they were set; omit for content-addressed data that never goes stale. */
  ttlMs?: number;
  /** Epoch milliseconds; injectable so tests can move time. */
  clock?: () => number;
  /**
   * A bound on the summed weight of the entries (say bytes), for values whose size varies a lot;
   * the least recently used go first until the sum fits. A value heavier than the bound is not kept.
   */
  maxWeight?: number;
  /** The weight of a value; required with `maxWeight`. */
  weigh?: (value: V) => number;
}

interface Entry<V> {
  value: V;
  expires: number;
  weight: number;
}

/** A bounded map that forgets the least recently used entry first and, with a TTL, expired entries. */
export class LruCache<K, V> {
  // A Map iterates in insertion order, so re-inserting on every hit keeps the least recently used entry first.
  private readonly entries = new Map<K, Entry<V>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly maxWeight: number;
  private readonly weigh: (value: V) => number;
  private totalWeight = 0;

  constructor(options: LruCacheOptions<V>) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    if (options.maxWeight !== undefined && options.weigh === undefined) throw new RangeError("maxWeight needs weigh");
    this.maxEntries = options.maxEntries;
    this.ttlMs = options.ttlMs ?? Infinity;
    this.clock = options.clock ?? Date.now;
    this.maxWeight = options.maxWeight ?? Infinity;
    this.weigh = options.weigh ?? (() => 0);
  }

  /** The live value for a key, marking it recently used; undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.clock()) {
      this.totalWeight -= entry.weight;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores a value, evicting the least recently used entries beyond the bounds. */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.maxWeight) return;
    this.entries.set(key, { value, expires: this.clock() + this.ttlMs, weight });
    this.totalWeight += weight;
    while (this.entries.size > this.maxEntries || this.totalWeight > this.maxWeight) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  /** Forgets one key. */
  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.totalWeight -= entry.weight;
  }

  /** The summed weight of the entries held. */
  get weight(): number {
    return this.totalWeight;
  }

  /** Entries held, expired ones included until they are next looked up or evicted. */
  get size(): number {
    return this.entries.size;
  }
}
