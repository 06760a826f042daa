import type { Digest } from "../model/digest.js";
import type { Finding, Inventory, RepositoryInventory } from "../model/inventory.js";
import { isManifestProblem } from "../model/manifest.js";
import { pathFor } from "../storage/storage-paths.js";
import { manifestLookup, reachableFromTags, repositoryGraph } from "./manifest-graph.js";

/**
 * Why a tag cannot be pulled whole from storage. Each code names the first thing a registry would fail on
 * when serving that part (distribution's `tagstore.go` → `manifeststore.go` → `linkedblobstore.go`).
 */
export type CheckProblemCode =
  /** The tag has no readable `current/link` (the registry answers 404 for it). */
  | "tag.no-current"
  /** The digest is not a revision of the repository (no `_manifests/revisions/…/link`): GET by digest is 404. */
  | "revision.missing"
  /** The revision link is there but the manifest's blob data is not. */
  | "manifest.missing"
  /** The manifest's blob data is not JSON, not a manifest, or does not hash to its digest. */
  | "manifest.corrupt"
  /** A manifest type regsweep does not know: what it needs cannot be checked. */
  | "manifest.unknown-type"
  /** A config or layer of an image manifest has no blob data. */
  | "blob.missing"
  /** A config or layer is not linked in the repository's `_layers` (blob GET in the repository is 404). */
  | "layer-link.missing"
  /** A manifest an index or list names is not a revision of the repository. */
  | "child.missing";

/** One reason a tag is not fully resolvable, and where. */
export interface CheckProblem {
  code: CheckProblemCode;
  /** The digest that is missing or bad. */
  digest?: Digest;
  /** The manifest that names it (the tag's own manifest has none). */
  parent?: Digest;
  /** Root-relative path of what should be there. */
  path: string;
  detail: string;
}

/** The verdict on one tag. */
export interface TagCheck {
  repository: string;
  tag: string;
  current?: Digest;
  ok: boolean;
  /** Empty when `ok`; deduplicated by code and digest. */
  problems: CheckProblem[];
}

/** Something present that nothing needs, with its size on disk (0 when its data is gone already). */
export interface Orphan {
  /** Empty for a blob that no repository links. */
  repository: string;
  digest: Digest;
  bytes: number;
}

/** A group of orphans with totals. */
export interface OrphanGroup {
  count: number;
  /** Each blob counted once, however many repositories hold an orphan link to it. */
  bytes: number;
  items: Orphan[];
}

/** What `checkInventory` found: tags, orphans, and the inventory's own findings. */
export interface CheckReport {
  source: string;
  tags: TagCheck[];
  orphans: {
    /** Revisions no tag reaches (through index children and referrers). */
    revisions: OrphanGroup;
    /** `_layers` links that no revision of their repository names. */
    layerLinks: OrphanGroup;
    /** Blob data that no revision, signature or layer link in any repository names. */
    blobs: OrphanGroup;
  };
  findings: Finding[];
  summary: {
    tags: number;
    okTags: number;
    brokenTags: number;
    problems: Partial<Record<CheckProblemCode, number>>;
  };
}

interface RepoIndex {
  repo: RepositoryInventory;
  revisions: Set<Digest>;
  layers: Set<Digest>;
}

function indexRepository(repo: RepositoryInventory): RepoIndex {
  return {
    repo,
    revisions: new Set(repo.revisions.map((r) => r.digest)),
    layers: new Set(repo.layers.map((l) => l.digest)),
  };
}

/**
 * Checks, without touching the disk, that every tag resolves the way a registry serves it (current link →
 * revision → manifest data → config and layers present and linked → index children, recursively), and
 * lists what nothing needs: untagged revisions, unused layer links, unlinked blobs.
 */
export function checkInventory(inventory: Inventory): CheckReport {
  const parsed = manifestLookup(inventory);
  const tags: TagCheck[] = [];
  const orphanRevisions: Orphan[] = [];
  const orphanLayers: Orphan[] = [];
  const linked = new Set<Digest>();
  const blobBytes = (d: Digest) => inventory.blobs.get(d)?.size ?? 0;

  for (const repo of inventory.repositories) {
    const ix = indexRepository(repo);
    // Problems of a manifest and everything under it, computed once per repository: tags share subtrees.
    const memo = new Map<Digest, CheckProblem[]>();
    const checkManifest = (digest: Digest, parent: Digest | undefined): CheckProblem[] => {
      const known = memo.get(digest);
      if (known) return known;
      memo.set(digest, []); // an index naming itself (impossible by hashing, but cheap to survive)
      const problems = manifestProblems(inventory, ix, digest, parent, checkManifest);
      memo.set(digest, problems);
      return problems;
    };

    for (const t of repo.tags) {
      let problems: CheckProblem[];
      if (!t.current) {
        problems = [
          {
            code: "tag.no-current",
            path: pathFor({ kind: "tag-current-link", repository: repo.name, tag: t.name }),
            detail: `tag '${t.name}' has no readable current link`,
          },
        ];
      } else {
        problems = dedupe(checkManifest(t.current, undefined));
      }
      tags.push({
        repository: repo.name,
        tag: t.name,
        ...(t.current ? { current: t.current } : {}),
        ok: problems.length === 0,
        problems,
      });
    }

    // Reachable: what tags name, their index children and the referrers of anything reachable (referrers
    // live as long as their subject, as the planner keeps them).
    const reached = reachableFromTags(repo, repositoryGraph(repo, parsed));
    const used = new Set<Digest>();
    for (const r of repo.revisions) {
      linked.add(r.digest);
      for (const s of r.signatures) linked.add(s);
      if (!reached.has(r.digest))
        orphanRevisions.push({ repository: repo.name, digest: r.digest, bytes: blobBytes(r.digest) });
      const m = inventory.manifests.get(r.digest);
      // An unreadable revision might name any of the links: none of them can be called unused.
      if (!m || isManifestProblem(m)) {
        for (const l of repo.layers) used.add(l.digest);
      } else {
        for (const b of m.blobs) used.add(b);
      }
    }
    for (const l of repo.layers) {
      linked.add(l.digest);
      if (!used.has(l.digest))
        orphanLayers.push({ repository: repo.name, digest: l.digest, bytes: blobBytes(l.digest) });
    }
  }

  const orphanBlobs: Orphan[] = [];
  for (const [digest, info] of inventory.blobs) {
    if (!linked.has(digest)) orphanBlobs.push({ repository: "", digest, bytes: info.size });
  }
  orphanBlobs.sort((a, b) => (a.digest < b.digest ? -1 : 1));

  const problemCounts: Partial<Record<CheckProblemCode, number>> = {};
  for (const t of tags) for (const p of t.problems) problemCounts[p.code] = (problemCounts[p.code] ?? 0) + 1;
  const okTags = tags.filter((t) => t.ok).length;
  return {
    source: inventory.source,
    tags,
    orphans: {
      revisions: group(orphanRevisions),
      layerLinks: group(orphanLayers),
      blobs: group(orphanBlobs),
    },
    findings: inventory.findings,
    summary: { tags: tags.length, okTags, brokenTags: tags.length - okTags, problems: problemCounts },
  };
}

/** The problems of one manifest in one repository, recursing into index children through `recurse`. */
function manifestProblems(
  inventory: Inventory,
  ix: RepoIndex,
  digest: Digest,
  parent: Digest | undefined,
  recurse: (digest: Digest, parent: Digest) => CheckProblem[],
): CheckProblem[] {
  const repository = ix.repo.name;
  const problems: CheckProblem[] = [];
  const revisionPath = pathFor({ kind: "revision-link", repository, digest });
  if (!ix.revisions.has(digest)) {
    problems.push({
      code: parent ? "child.missing" : "revision.missing",
      digest,
      ...(parent ? { parent } : {}),
      path: revisionPath,
      detail: parent
        ? `index ${parent} names ${digest}, which is not a revision of '${repository}'`
        : `not a revision of '${repository}'`,
    });
  }
  const dataPath = pathFor({ kind: "blob-data", digest });
  const m = inventory.manifests.get(digest);
  if (!inventory.blobs.has(digest)) {
    problems.push({
      code: "manifest.missing",
      digest,
      ...(parent ? { parent } : {}),
      path: dataPath,
      detail: "manifest blob data is missing",
    });
    return problems;
  }
  if (!m) {
    // Blob data exists but the reader did not parse it: it is named only by an index, not by a revision.
    return problems;
  }
  if (isManifestProblem(m)) {
    problems.push({
      code: "manifest.corrupt",
      digest,
      ...(parent ? { parent } : {}),
      path: dataPath,
      detail: `${m.problem}: ${m.detail}`,
    });
    return problems;
  }
  if (m.kind === "unknown") {
    problems.push({
      code: "manifest.unknown-type",
      digest,
      ...(parent ? { parent } : {}),
      path: dataPath,
      detail: `media type '${m.mediaType}' is unknown: what it needs cannot be checked`,
    });
    return problems;
  }
  for (const b of m.blobs) {
    if (!inventory.blobs.has(b)) {
      problems.push({
        code: "blob.missing",
        digest: b,
        parent: digest,
        path: pathFor({ kind: "blob-data", digest: b }),
        detail: "config or layer data is missing",
      });
    }
    if (!ix.layers.has(b)) {
      problems.push({
        code: "layer-link.missing",
        digest: b,
        parent: digest,
        path: pathFor({ kind: "layer-link", repository, digest: b }),
        detail: `config or layer is not linked in '${repository}'`,
      });
    }
  }
  for (const child of m.children) problems.push(...recurse(child, digest));
  return problems;
}

function dedupe(problems: CheckProblem[]): CheckProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code} ${p.digest ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function group(items: Orphan[]): OrphanGroup {
  const bytes = new Map<Digest, number>();
  for (const o of items) bytes.set(o.digest, o.bytes);
  let total = 0;
  for (const b of bytes.values()) total += b;
  return { count: items.length, bytes: total, items };
}
