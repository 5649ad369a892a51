// A bounded least-recently-used map with optional expiry: the facts gatherer's caches.

export interface LruCacheOptions {
  /** Entries kept at most; the least recently used one goes first. */
  maxEntries: number;
  /** Entries expire this long after they were set; omit for content-addressed data that never goes stale. */
  ttlMs?: number;
  /** Epoch milliseconds; injectable so tests can move time. */
  clock?: () => number;
}

interface Entry<V> {
  value: V;
  expires: number;
}

/** A bounded map that forgets the least recently used entry first and, with a TTL, expired entries. */
export class LruCache<K, V> {
  // A Map iterates in insertion order, so re-inserting on every hit keeps the least recently used entry first.
  private readonly entries = new Map<K, Entry<V>>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly clock: () => number;

  constructor(options: LruCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    this.maxEntries = options.maxEntries;
    this.ttlMs = options.ttlMs ?? Infinity;
    this.clock = options.clock ?? Date.now;
  }

  /** The live value for a key, marking it recently used; undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.clock()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores a value, evicting the least recently used entries beyond the bound. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.clock() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Forgets one key. */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Entries held, expired ones included until they are next looked up or evicted. */
  get size(): number {
    return this.entries.size;
  }
}
