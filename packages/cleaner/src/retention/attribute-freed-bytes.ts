import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { Plan } from "../model/plan.js";
import { imageContents, manifestLookup } from "../plan/manifest-graph.js";
import type { Decision } from "./policy.js";

/**
 * Fills `bytesFreed` on each deletion decision: the bytes of blobs the plan deletes that only this
 * decision's manifest (with its index children) uses among all deletions — what deleting it alone frees.
 */
export function attributeFreedBytes(decisions: Decision[], plan: Plan, inventory: Inventory): Decision[] {
  const freed = new Map<Digest, number>();
  for (const a of plan.actions) if (a.type === "blob") freed.set(a.digest, a.bytes);
  const manifest = manifestLookup(inventory);
  const used = decisions.map((d) =>
    d.action === "delete" && d.digest
      ? [...imageContents(manifest, d.digest)].filter((b) => freed.has(b))
      : [],
  );
  const users = new Map<Digest, Set<Digest>>();
  decisions.forEach((d, i) => {
    for (const b of used[i] ?? []) users.set(b, (users.get(b) ?? new Set()).add(d.digest as Digest));
  });
  return decisions.map((d, i) => {
    if (d.action !== "delete") return d;
    const bytes = (used[i] ?? [])
      .filter((b) => users.get(b)?.size === 1)
      .reduce((n, b) => n + (freed.get(b) ?? 0), 0);
    return { ...d, bytesFreed: bytes };
  });
}
