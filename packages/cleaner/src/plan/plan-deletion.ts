import type { Digest } from "../model/digest.js";
import {
  InvalidRequestError,
  ManifestNotFoundError,
  RepositoryNotFoundError,
  TagNotFoundError,
} from "../model/errors.js";
import type { Inventory } from "../model/inventory.js";
import type { KeptNote, Plan, PlanAction, PlanOptions, PlanRequest } from "../model/plan.js";
import { isRepositoryComponent, validateRepositoryName, validateTag } from "../model/reference.js";
import { digestOrder, inStoreOrder, orderRevisions } from "./action-order.js";
import { addBlobActions } from "./blob-actions.js";
import { type ManifestLookup, manifestLookup } from "./manifest-graph.js";
import { addMultipartActions } from "./multipart-actions.js";
import { planPrunes } from "./prune-actions.js";
import { addRepositoryActions, fileActions, type RepositoryLimits } from "./repository-actions.js";
import { type RepoWork, repoWork, resolveRepository } from "./resolve-repository.js";

const HOUR = 3_600_000;

/** Defaults: a one-hour grace period, uploads stale after a day, no pruning of pre-existing empty folders. */
export const DEFAULT_PLAN_OPTIONS: Omit<PlanOptions, "nowMs"> = {
  graceMs: HOUR,
  uploadMaxAgeMs: 24 * HOUR,
  prune: false,
};

/**
 * Turns an inventory and requests into a plan. Pure and synchronous: it reads nothing but its arguments.
 *
 * Per repository: the requests put tags and manifests *in scope*; everything reachable from what stays
 * (kept tags, manifests out of scope) through index children and referrers is kept; the rest of the scope
 * is deleted, pulling the children and referrers of deleted manifests into scope until nothing changes.
 * Then layer links and blobs go when nothing that stays, in any repository, still names them.
 */
export function planDeletion(
  inventory: Inventory,
  requests: PlanRequest[],
  options: Partial<PlanOptions> = {},
): Plan {
  const opts: PlanOptions = { ...DEFAULT_PLAN_OPTIONS, nowMs: inventory.readAtMs, ...options };
  if (requests.length === 0)
    throw new InvalidRequestError("nothing to delete: give a repository, a tag, a digest, --untagged or gc");
  const graceLimit = opts.nowMs - opts.graceMs;
  const manifest = manifestLookup(inventory);

  const work = new Map<string, RepoWork>();
  for (const repo of inventory.repositories) work.set(repo.name, repoWork(repo));
  const keptNotes: KeptNote[] = [];
  /**
   * The repositories a request for all of them reaches: not those whose folder names are outside the
   * grammar (`lost+found/x`): no registry serves them, but what they link is kept (an operator may rename them).
   */
  const swept = () => [...work.values()].filter((w) => w.repo.name.split("/").every(isRepositoryComponent));
  const repoOf = (name: string): RepoWork => {
    validateRepositoryName(name);
    const w = work.get(name);
    if (!w) throw new RepositoryNotFoundError(name);
    return w;
  };
  const seedUntagged = (w: RepoWork, minAgeMs?: number) => {
    // A tag whose current link cannot be read may point at any manifest of its history: all of them stay.
    const tagged = new Set(w.repo.tags.flatMap((t) => (t.current ? [t.current] : t.index)));
    for (const r of w.repo.revisions) {
      if (tagged.has(r.digest)) continue;
      if (!manifest(r.digest)) continue; // unreadable: its children are unknown, so it stays (and is a finding)
      if (minAgeMs !== undefined && r.linkedAtMs > opts.nowMs - minAgeMs) continue; // a retention rule's age threshold
      if (r.linkedAtMs > graceLimit) {
        keptNotes.push({
          repository: w.repo.name,
          digest: r.digest,
          code: "kept.grace",
          reason: "untagged but younger than the grace period (may be a push in flight)",
        });
        continue;
      }
      w.scope.set(r.digest, "untagged");
    }
  };

  for (const request of requests) {
    switch (request.kind) {
      case "delete-repository": {
        const w = repoOf(request.repository);
        w.removeAll = true;
        for (const t of w.repo.tags) w.deletedTags.set(t.name, "its repository is deleted");
        for (const r of w.repo.revisions) w.scope.set(r.digest, "its repository is deleted");
        break;
      }
      case "delete-tag": {
        const w = repoOf(request.repository);
        validateTag(request.tag);
        if (!w.repo.tags.some((t) => t.name === request.tag))
          throw new TagNotFoundError(request.repository, request.tag);
        w.deletedTags.set(request.tag, "requested");
        break;
      }
      case "delete-manifest": {
        const w = repoOf(request.repository);
        if (!w.revisions.has(request.digest))
          throw new ManifestNotFoundError(request.repository, request.digest);
        w.scope.set(request.digest, "requested");
        for (const t of w.repo.tags) {
          if (t.current === request.digest)
            w.deletedTags.set(t.name, `points at the deleted manifest ${request.digest}`);
        }
        break;
      }
      case "delete-untagged": {
        if (request.repository !== undefined) seedUntagged(repoOf(request.repository), request.minAgeMs);
        else for (const w of swept()) seedUntagged(w, request.minAgeMs);
        break;
      }
      case "gc": {
        for (const w of swept()) {
          w.sweepOrphans = true;
          if (request.deleteUntagged) seedUntagged(w);
        }
        break;
      }
    }
  }

  finishPlaceholders(work, inventory.placeholders);
  for (const w of work.values()) resolveRepository(w, manifest, keptNotes);

  return buildPlan(inventory, requests, opts, work, keptNotes, manifest);
}

/**
 * A tag still naming a regsweep placeholder is what a killed tag delete left (see `placeholder.ts`): every
 * plan finishes it, whatever it was asked, and an untagged placeholder goes whatever its age.
 */
function finishPlaceholders(work: Map<string, RepoWork>, placeholders: Set<Digest> | undefined): void {
  if (!placeholders || placeholders.size === 0) return;
  for (const w of work.values()) {
    for (const t of w.repo.tags) {
      if (t.current && placeholders.has(t.current) && !w.deletedTags.has(t.name))
        w.deletedTags.set(t.name, "names a regsweep placeholder (an interrupted tag delete): finishing it");
    }
    for (const d of w.revisions) {
      if (placeholders.has(d) && !w.scope.has(d)) w.scope.set(d, "a regsweep placeholder");
    }
  }
}

/** The plan from resolved repositories: file actions by phase in apply order, then the folder work, and totals. */
function buildPlan(
  inventory: Inventory,
  requests: PlanRequest[],
  opts: PlanOptions,
  work: Map<string, RepoWork>,
  keptNotes: KeptNote[],
  manifest: ManifestLookup,
): Plan {
  const graceLimit = opts.nowMs - opts.graceMs;
  const limits: RepositoryLimits = {
    graceLimit,
    uploadLimit: opts.nowMs - Math.max(opts.graceMs, opts.uploadMaxAgeMs),
    placeholders: inventory.placeholders,
  };
  const out = fileActions();
  for (const w of work.values()) addRepositoryActions(w, manifest, limits, out);
  const sweep = requests.some((r) => r.kind === "gc");
  addMultipartActions(inventory, work, sweep, limits, out, keptNotes);
  addBlobActions(inventory, sweep, graceLimit, out, keptNotes);
  orderRevisions(out.revisions, out.revisionKeys, manifest);

  const inOrder = [
    ...out.tags,
    ...out.indexEntries,
    ...out.revisions,
    ...inStoreOrder(out.layers, out.layerKeys, () => 0),
    ...out.uploads,
    ...out.multipartUploads,
    ...inStoreOrder(out.blobs, out.blobKeys, digestOrder),
  ];
  const prunes = planPrunes(inventory, {
    fileActions: inOrder,
    repositoriesRemoved: out.repositoriesRemoved,
    pruneEmpty: opts.prune || sweep,
  });
  const { nowMs, ...kept } = opts;
  const bytes = (actions: PlanAction[]) => actions.reduce((n, a) => n + (a as { bytes: number }).bytes, 0);
  return {
    format: "regsweep.plan/v1",
    backend: inventory.backend,
    source: inventory.source,
    createdAtMs: nowMs,
    requests,
    options: kept,
    actions: [...inOrder, ...prunes],
    kept: keptNotes,
    snapshots: out.snapshots,
    summary: {
      tags: out.tags.length,
      manifests: out.revisions.length,
      layerLinks: out.layers.length,
      uploads: out.uploads.length,
      ...(out.multipartUploads.length > 0 ? { multipartUploads: out.multipartUploads.length } : {}),
      blobs: out.blobs.length,
      bytesFreed: bytes(out.blobs) + bytes(out.uploads),
      repositoriesRemoved: out.repositoriesRemoved.sort(),
    },
    findings: inventory.findings,
  };
}
