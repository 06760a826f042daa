import type { PlanAction } from "../model/plan.js";
import type { ManifestLookup } from "./manifest-graph.js";

/** A revision action, whose `stage` this module sets. */
export type RevisionAction = PlanAction & { type: "revision" };

/**
 * Actions in the order of the store's order keys of the files they remove (the filesystem store's inode
 * numbers), then `tie`; a key of 0 is unknown, so a store without keys (object storage, the HTTP API) keeps
 * `tie`'s order. Within one phase any order is safe; this one is fast on disk: inodes and blocks made together
 * sit together, and the kernel frees (and, with `discard`, trims) neighbours in one go. Removing 100k link
 * folders on ext4 took 6.8 s in inode order against 10.3 s in digest order.
 */
export function inStoreOrder(
  actions: PlanAction[],
  keys: number[],
  tie: (a: PlanAction, b: PlanAction) => number,
): PlanAction[] {
  const order = actions.map((_, i) => i);
  order.sort(
    (a, b) =>
      (keys[a] as number) - (keys[b] as number) ||
      tie(actions[a] as PlanAction, actions[b] as PlanAction) ||
      a - b,
  );
  return order.map((i) => actions[i] as PlanAction);
}

/** Blob actions tie in digest order. */
export function digestOrder(a: PlanAction, b: PlanAction): number {
  return (a as { digest: string }).digest < (b as { digest: string }).digest ? -1 : 1;
}

/**
 * Sets each revision's stage and sorts them in apply order: referrers before their subjects, indexes before
 * their children (a crash never leaves a dangling parent), then by order key, repository and digest.
 */
export function orderRevisions(
  revisions: RevisionAction[],
  keys: ReadonlyMap<PlanAction, number>,
  manifest: ManifestLookup,
): void {
  const rank = (a: RevisionAction): 0 | 1 | 2 =>
    manifest(a.digest)?.subject ? 0 : (manifest(a.digest)?.children.length ?? 0) > 0 ? 1 : 2;
  for (const a of revisions) a.stage = rank(a);
  revisions.sort(
    (a, b) =>
      a.stage - b.stage ||
      (keys.get(a) ?? 0) - (keys.get(b) ?? 0) ||
      a.repository.localeCompare(b.repository) ||
      (a.digest < b.digest ? -1 : 1),
  );
}
