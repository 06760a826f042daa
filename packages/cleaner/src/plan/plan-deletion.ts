import type { Digest } from "../model/digest.js";
import {
  InvalidRequestError,
  ManifestNotFoundError,
  RepositoryNotFoundError,
  TagNotFoundError,
} from "../model/errors.js";
import type { Inventory, RepositoryInventory } from "../model/inventory.js";
import type {
  KeptCode,
  KeptNote,
  Plan,
  PlanAction,
  PlanOptions,
  PlanRequest,
  RepositorySnapshot,
} from "../model/plan.js";
import { isRepositoryComponent, validateRepositoryName, validateTag } from "../model/reference.js";
import { BLOBS_ROOT, pathFor, REPOSITORIES_ROOT } from "../storage/storage-paths.js";
import {
  type ManifestLookup,
  manifestLookup,
  repositoryGraph,
  revisionBlobs,
  walkReachable,
} from "./manifest-graph.js";
import { ownDir } from "./plan-paths.js";

const HOUR = 3_600_000;

/** Defaults: a one-hour grace period, uploads stale after a day, no pruning of pre-existing empty folders. */
export const DEFAULT_PLAN_OPTIONS: Omit<PlanOptions, "nowMs"> = {
  graceMs: HOUR,
  uploadMaxAgeMs: 24 * HOUR,
  prune: false,
};

/** Tags named after a digest (`sha256-<hex>[.sig|.att|.sbom|…]`) hold referrers of that digest (cosign's convention). */
const REFERRER_TAG = /^(sha256)-([a-f0-9]{64})(?:\..*)?$/;

/** The subject digest a referrer-convention tag names, if it is one. */
export function referrerTagSubject(tag: string): Digest | undefined {
  const m = REFERRER_TAG.exec(tag);
  return m ? (`${m[1]}:${m[2]}` as Digest) : undefined;
}

interface RepoWork {
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
  for (const repo of inventory.repositories) {
    work.set(repo.name, {
      repo,
      revisions: new Set(repo.revisions.map((r) => r.digest)),
      deletedTags: new Map(),
      scope: new Map(),
      removeAll: false,
      sweepOrphans: false,
      deleted: new Map(),
      kept: new Set(),
      conservative: false,
    });
  }
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

/** The scope → keep → delete fixpoint of one repository. */
function resolveRepository(w: RepoWork, manifest: ManifestLookup, keptNotes: KeptNote[]): void {
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

/**
 * Actions in the order of the inode numbers of the files they remove, then `tie` (unknown inodes are 0, so
 * an online plan keeps `tie`'s order). Within one phase any order is safe; this one is fast: inodes and
 * blocks made together sit together, and the kernel frees (and, with `discard`, trims) neighbours in one go.
 * Removing 100k link folders on ext4 took 6.8 s in inode order against 10.3 s in digest order.
 */
function inodeOrder(actions: PlanAction[], inos: number[], tie: (a: PlanAction, b: PlanAction) => number) {
  const order = actions.map((_, i) => i);
  order.sort(
    (a, b) =>
      (inos[a] as number) - (inos[b] as number) ||
      tie(actions[a] as PlanAction, actions[b] as PlanAction) ||
      a - b,
  );
  return order.map((i) => actions[i] as PlanAction);
}

function ancestors(path: string, into: Set<string>): void {
  const stops = new Set([REPOSITORIES_ROOT, BLOBS_ROOT]);
  let dir = path.slice(0, path.lastIndexOf("/"));
  while (
    dir.includes("/") &&
    !stops.has(dir) &&
    (dir.startsWith(`${REPOSITORIES_ROOT}/`) || dir.startsWith(`${BLOBS_ROOT}/`))
  ) {
    into.add(dir);
    dir = dir.slice(0, dir.lastIndexOf("/"));
  }
}

function buildPlan(
  inventory: Inventory,
  requests: PlanRequest[],
  opts: PlanOptions,
  work: Map<string, RepoWork>,
  keptNotes: KeptNote[],
  manifest: ManifestLookup,
): Plan {
  const graceLimit = opts.nowMs - opts.graceMs;
  const placeholders = inventory.placeholders;
  const uploadLimit = opts.nowMs - Math.max(opts.graceMs, opts.uploadMaxAgeMs);
  const tagActions: PlanAction[] = [];
  const indexActions: PlanAction[] = [];
  const revisionActions: Array<PlanAction & { type: "revision" }> = [];
  const layerActions: PlanAction[] = [];
  // Inode numbers of the files those actions remove (0 when unknown): by action for revisions, which sort
  // by stage first; index for index for layer links and blobs. See `inodeOrder`.
  const revisionInos = new Map<PlanAction, number>();
  const layerInos: number[] = [];
  const blobInos: number[] = [];
  const uploadActions: PlanAction[] = [];
  const blobActions: PlanAction[] = [];
  const referencedBefore = new Set<Digest>();
  const referencedAfter = new Set<Digest>();
  const repositoriesRemoved: string[] = [];
  const snapshots: RepositorySnapshot[] = [];

  for (const w of work.values()) {
    const name = w.repo.name;
    const actionsBefore =
      tagActions.length +
      indexActions.length +
      revisionActions.length +
      layerActions.length +
      uploadActions.length;
    for (const t of w.repo.tags) {
      if (!w.deletedTags.has(t.name)) {
        for (const d of t.index) {
          if (w.deleted.has(d)) {
            indexActions.push({
              type: "tag-index-entry",
              repository: name,
              tag: t.name,
              digest: d,
              reason: "history entry of a deleted manifest",
            });
          }
        }
        continue;
      }
      tagActions.push({
        type: "tag",
        repository: name,
        tag: t.name,
        ...(t.current ? { current: t.current } : {}),
        history: t.index,
        reason: w.deletedTags.get(t.name) as string,
      });
    }
    const byDigest = new Map(w.repo.revisions.map((r) => [r.digest, r]));
    const keptBlobs = new Set<Digest>();
    const deletedBlobs = new Set<Digest>();
    for (const r of w.repo.revisions) {
      const m = manifest(r.digest);
      for (const b of revisionBlobs(r, manifest)) referencedBefore.add(b);
      if (w.deleted.has(r.digest)) {
        for (const b of m?.blobs ?? []) deletedBlobs.add(b);
        const action: PlanAction & { type: "revision" } = {
          type: "revision",
          repository: name,
          digest: r.digest,
          ...(r.signatures.length > 0 ? { signatures: r.signatures } : {}),
          reason: w.deleted.get(r.digest) as string,
          stage: 2,
        };
        revisionActions.push(action);
        revisionInos.set(action, r.ino ?? 0);
      } else {
        referencedAfter.add(r.digest);
        for (const s of r.signatures) referencedAfter.add(s);
        for (const b of m?.blobs ?? []) {
          keptBlobs.add(b);
          referencedAfter.add(b);
        }
      }
    }
    const emptied =
      w.repo.tags.every((t) => w.deletedTags.has(t.name)) &&
      w.repo.revisions.every((r) => w.deleted.has(r.digest));
    let layersLeft = 0;
    for (const l of w.repo.layers) {
      referencedBefore.add(l.digest);
      let reason: string | undefined;
      if (keptBlobs.has(l.digest) || w.conservative) reason = undefined;
      else if (deletedBlobs.has(l.digest)) reason = "only deleted manifests used it";
      // A placeholder's config: nothing but a placeholder ever uses it, so its age does not matter.
      else if (placeholders?.has(l.digest)) reason = "a regsweep placeholder's config";
      // An orphan link younger than the grace period may be a push in flight: it stays even in a deleted repository.
      else if ((w.sweepOrphans || emptied) && l.linkedAtMs <= graceLimit) reason = "no manifest uses it";
      if (reason) {
        layerInos.push(l.ino ?? 0);
        layerActions.push({
          type: "layer-link",
          repository: name,
          digest: l.digest,
          reason,
        });
      } else {
        referencedAfter.add(l.digest);
        layersLeft++;
      }
    }
    for (const u of w.repo.uploads) {
      const stale = w.removeAll
        ? u.startedAtMs <= graceLimit
        : w.sweepOrphans && u.startedAtMs <= uploadLimit;
      if (stale) {
        uploadActions.push({
          type: "upload",
          repository: name,
          upload: u.id,
          bytes: u.bytes,
          reason: w.removeAll ? "its repository is deleted" : "stale upload",
        });
      }
    }
    if (
      emptied &&
      layersLeft === 0 &&
      (w.repo.tags.length > 0 || w.repo.revisions.length > 0 || w.removeAll)
    ) {
      repositoriesRemoved.push(name);
    }
    const touched =
      tagActions.length +
        indexActions.length +
        revisionActions.length +
        layerActions.length +
        uploadActions.length >
      actionsBefore;
    if (touched) {
      snapshots.push({
        name,
        tags: Object.fromEntries(w.repo.tags.map((t) => [t.name, t.current ?? null])),
        revisions: [...byDigest.keys()],
      });
    }
  }

  const sweep = requests.some((r) => r.kind === "gc");
  const graceBlobs: Digest[] = [];
  for (const [digest, blob] of inventory.blobs) {
    if (referencedAfter.has(digest)) continue;
    let reason: string | undefined;
    if (referencedBefore.has(digest)) reason = "nothing left references it";
    else if (placeholders?.has(digest)) reason = "a regsweep placeholder";
    else if (sweep && blob.modifiedAtMs <= graceLimit) reason = "unreferenced";
    else if (sweep) graceBlobs.push(digest);
    if (reason) {
      blobInos.push(blob.ino ?? 0);
      blobActions.push({
        type: "blob",
        digest,
        bytes: blob.size,
        reason,
      });
    }
  }
  if (graceBlobs.length > 0) {
    keptNotes.push(
      ...graceBlobs.map(
        (digest): KeptNote => ({
          repository: "",
          digest,
          code: "kept.grace-blob",
          reason: "unreferenced blob younger than the grace period",
        }),
      ),
    );
  }
  const digestOrder = (a: PlanAction, b: PlanAction) =>
    (a as { digest: string }).digest < (b as { digest: string }).digest ? -1 : 1;
  const blobsInOrder = inodeOrder(blobActions, blobInos, digestOrder);
  const layersInOrder = inodeOrder(layerActions, layerInos, () => 0);

  // Referrers before their subjects, indexes before their children: a crash never leaves a dangling parent.
  const rank = (a: PlanAction & { type: "revision" }): 0 | 1 | 2 =>
    manifest(a.digest)?.subject ? 0 : (manifest(a.digest)?.children.length ?? 0) > 0 ? 1 : 2;
  for (const a of revisionActions) a.stage = rank(a);
  revisionActions.sort(
    (a, b) =>
      a.stage - b.stage ||
      (revisionInos.get(a) ?? 0) - (revisionInos.get(b) ?? 0) ||
      a.repository.localeCompare(b.repository) ||
      (a.digest < b.digest ? -1 : 1),
  );

  const fileActions = [
    ...tagActions,
    ...indexActions,
    ...revisionActions,
    ...layersInOrder,
    ...uploadActions,
    ...blobsInOrder,
  ];
  // Stray entries go with the folder holding them: an action's own folder (at any depth below it: a tag's
  // index, a revision's signatures) or a pruned one (directly in it).
  const straysBelow = new Map<string, string[]>();
  const straysIn = new Map<string, string[]>();
  for (const stray of inventory.strays ?? []) {
    const parent = stray.slice(0, stray.lastIndexOf("/"));
    straysIn.set(parent, [...(straysIn.get(parent) ?? []), stray.slice(parent.length + 1)]);
    for (let dir = parent; dir.includes("/"); dir = dir.slice(0, dir.lastIndexOf("/")))
      straysBelow.set(dir, [...(straysBelow.get(dir) ?? []), stray.slice(dir.length + 1)]);
  }
  for (const a of fileActions) {
    if (a.type === "upload" || a.type === "prune") continue; // an upload's folder goes whole
    const strays = straysBelow.get(ownDir(a));
    if (strays) a.strays = strays;
  }
  const pruneDirs = new Set<string>();
  // Each action removes its own folder (see PlanAction); prune takes the shared folders above it.
  for (const a of fileActions) {
    if (a.type === "prune") continue;
    ancestors(ownDir(a), pruneDirs);
  }
  // A removed repository also loses the skeleton folders the registry made in it (an emptied `_uploads/`,
  // `_manifests/tags/`…) and the layout's folders in it that hold nothing but strays (a link folder left with
  // only a `link.orig`): those that are there (removed only if empty, so an upload in flight keeps its
  // folders), so that a second run finds nothing to plan.
  for (const name of repositoriesRemoved) {
    const repo = `${pathFor({ kind: "repository", repository: name })}/`;
    for (const dir of [...inventory.emptyDirs, ...(inventory.skeletonDirs ?? []), ...straysIn.keys()]) {
      if (!dir.startsWith(repo)) continue;
      pruneDirs.add(dir);
      ancestors(`${dir}/x`, pruneDirs);
    }
  }
  const preExisting = new Set(opts.prune || sweep ? inventory.emptyDirs : []);
  for (const d of preExisting) {
    pruneDirs.add(d);
    ancestors(d, pruneDirs);
  }
  // A folder holding something regsweep keeps (an odd folder, a symbolic link it never removes) can never be
  // emptied: no prune for it, nor its strays, which stay with it (every run would plan it again).
  const strayPaths = new Set(inventory.strays ?? []);
  const holdsKept = new Set<string>();
  for (const f of inventory.findings) {
    if (!f.code.startsWith("entry.") || strayPaths.has(f.path)) continue;
    for (
      let dir = f.path.slice(0, f.path.lastIndexOf("/"));
      dir.includes("/");
      dir = dir.slice(0, dir.lastIndexOf("/"))
    )
      holdsKept.add(dir);
  }
  for (const dir of holdsKept) pruneDirs.delete(dir);
  const depth = (p: string) => p.split("/").length;
  const pruneActions: PlanAction[] = [...pruneDirs]
    .sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1))
    .map((path) => {
      const strays = straysIn.get(path);
      return {
        type: "prune",
        path,
        reason: preExisting.has(path) ? "empty folder" : "emptied by this plan",
        ...(strays ? { strays } : {}),
      };
    });

  const actions = [...fileActions, ...pruneActions];
  const { nowMs, ...kept } = opts;
  return {
    format: "regsweep.plan/v1",
    source: inventory.source,
    createdAtMs: nowMs,
    requests,
    options: kept,
    actions,
    kept: keptNotes,
    snapshots,
    summary: {
      tags: tagActions.length,
      manifests: revisionActions.length,
      layerLinks: layerActions.length,
      uploads: uploadActions.length,
      blobs: blobActions.length,
      bytesFreed:
        blobActions.reduce((n, a) => n + (a as { bytes: number }).bytes, 0) +
        uploadActions.reduce((n, a) => n + (a as { bytes: number }).bytes, 0),
      repositoriesRemoved: repositoriesRemoved.sort(),
    },
    findings: inventory.findings,
  };
}
