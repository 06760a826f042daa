import type { Digest } from "../model/digest.js";
import type { RepositoryInventory } from "../model/inventory.js";
import type { KeptCode, KeptNote } from "../model/plan.js";
import { type ManifestLookup, referrerTagSubject, repositoryGraph, walkReachable } from "./manifest-graph.js";

/**
 * One repository while a plan is made: what the requests put in scope (with why), which tags go, and after
 * `resolveRepository` which manifests are deleted and which stay.
 */
export interface RepoWork {
  repo: RepositoryInventory;
  revisions: Set<Digest>;
  deletedTags: Map<string, string>;
  scope: Map<Digest, string>;
  removeAll: boolean;
  sweepOrphans: boolean;
  deleted: Map<Digest, string>;
  kept: Set<Digest>;
  /** Some manifest that stays cannot be read: its references are unknown, so every layer link stays. */
  conservative: boolean;
}

/** A repository's work before any request touched it. */
export function repoWork(repo: RepositoryInventory): RepoWork {
  return {
    repo,
    revisions: new Set(repo.revisions.map((r) => r.digest)),
    deletedTags: new Map(),
    scope: new Map(),
    removeAll: false,
    sweepOrphans: false,
    deleted: new Map(),
    kept: new Set(),
    conservative: false,
  };
}

/** The scope → keep → delete fixpoint of one repository. */
export function resolveRepository(w: RepoWork, manifest: ManifestLookup, keptNotes: KeptNote[]): void {
  if (w.scope.size === 0 && w.deletedTags.size === 0) {
    w.kept = new Set(w.revisions);
    w.conservative = [...w.revisions].some((d) => !manifest(d));
    return;
  }
  const graph = repositoryGraph(w.repo, manifest, w.revisions);
  const tagsBySubject = new Map<Digest, string[]>();
  for (const t of w.repo.tags) {
    const subject = referrerTagSubject(t.name);
    if (subject) tagsBySubject.set(subject, [...(tagsBySubject.get(subject) ?? []), t.name]);
  }

  // Why each manifest that stays stays; out of the request's scope has no code (it is never a note).
  const keptBy = new Map<Digest, { code?: KeptCode; why: string }>();
  for (;;) {
    for (const t of w.repo.tags) {
      if (!w.deletedTags.has(t.name)) continue;
      if (t.current && w.revisions.has(t.current) && !w.scope.has(t.current))
        w.scope.set(t.current, `tag '${t.name}' is deleted`);
      for (const d of t.index) {
        if (w.revisions.has(d) && !w.scope.has(d))
          w.scope.set(d, `in the history of the deleted tag '${t.name}'`);
      }
    }
    // Keep everything reachable from what stays: kept tags and manifests the request does not touch.
    keptBy.clear();
    const roots: Digest[] = [];
    const keep = (d: Digest, code: KeptCode | undefined, why: string): boolean => {
      if (!w.revisions.has(d) || keptBy.has(d)) return false;
      keptBy.set(d, code ? { code, why } : { why });
      return true;
    };
    const keepRoot = (d: Digest, code: KeptCode | undefined, why: string) => {
      if (keep(d, code, why)) roots.push(d);
    };
    for (const t of w.repo.tags) {
      if (w.deletedTags.has(t.name)) continue;
      if (t.current) keepRoot(t.current, "kept.tagged", `tagged '${t.name}'`);
      else
        for (const d of t.index)
          keepRoot(
            d,
            "kept.tag-history",
            `in the history of tag '${t.name}', whose current link cannot be read`,
          );
    }
    for (const d of w.revisions) if (!w.scope.has(d)) keepRoot(d, undefined, "not in the request's scope");
    walkReachable(graph, roots, (d, from, edge) =>
      edge === "child"
        ? keep(d, "kept.child", `child of the kept index ${from}`)
        : keep(d, "kept.referrer", `referrer of the kept manifest ${from}`),
    );
    // Whatever is deleted drags its children, referrers and referrer tags into scope.
    let grew = false;
    for (const [d] of w.scope) {
      if (keptBy.has(d)) continue;
      for (const child of manifest(d)?.children ?? []) {
        if (w.revisions.has(child) && !w.scope.has(child)) {
          w.scope.set(child, `child of the deleted index ${d}`);
          grew = true;
        }
      }
      for (const r of graph.referrers.get(d) ?? []) {
        if (!w.scope.has(r)) {
          w.scope.set(r, `referrer of the deleted manifest ${d}`);
          grew = true;
        }
      }
      for (const t of tagsBySubject.get(d) ?? []) {
        if (!w.deletedTags.has(t)) {
          w.deletedTags.set(t, `referrer tag of the deleted manifest ${d}`);
          grew = true;
        }
      }
    }
    if (!grew) break;
  }
  for (const [d, why] of w.scope) {
    const kept = keptBy.get(d);
    if (kept) {
      if (kept.code)
        keptNotes.push({ repository: w.repo.name, digest: d, code: kept.code, reason: `kept: ${kept.why}` });
    } else {
      w.deleted.set(d, why);
    }
  }
  w.kept = new Set([...w.revisions].filter((d) => !w.deleted.has(d)));
  w.conservative = [...w.kept].some((d) => !manifest(d));
}
