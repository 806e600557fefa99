/**
 * Runs `work` over `items` in order with at most `limit` in flight. Once `stop()` holds no
 * further item starts (those in flight finish); returns the items that never started. The
 * first error thrown by `work` stops it the same way and is rethrown once all lanes are done.
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean,
): Promise<T[]> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop() && !failure) {
      try {
        await work(items[next++]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.error;
  return items.slice(next);
}
