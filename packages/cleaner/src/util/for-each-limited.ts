/**
 * Runs `fn` over `items` with at most `concurrency` calls in flight: a fixed pool of workers pulling from
 * one iterator. Unlike mapping everything through a limiter, it never holds a pending promise per item,
 * which on a 175k-blob tree is the difference between a flat and a ballooning memory profile.
 */
export async function forEachLimited<T>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await fn(next.value);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

/** Like `Promise.all(items.map(fn))` with at most `concurrency` calls in flight; results keep the input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachLimited(items.keys(), concurrency, async (i) => {
    out[i] = await fn(items[i] as T);
  });
  return out;
}

/** `items` cut into consecutive slices of `size` (the last one shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
