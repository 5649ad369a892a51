// Bounded fan-out: run a task for each item with at most `limit` in flight.

/**
 * Calls `task` on every item, at most `limit` at a time (at least one), and resolves with the
 * results in the order of `items`. The first rejection rejects the whole, and no item is started
 * after it (those under way run on).
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await task(items[i] as T, i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
