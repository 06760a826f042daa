import type { Digest } from "../model/digest.js";
import type { Inventory, RepositoryInventory, RevisionInfo } from "../model/inventory.js";
import { isManifestProblem, type ManifestInfo } from "../model/manifest.js";

/**
 * The manifest graph of an inventory, written once for every reader (planner, check, retention, freed
 * bytes, space usage, `ls`): the parsed manifest of a digest, the referrers of a subject within one
 * repository, and what is reachable from a manifest through index children and referrers.
 *
 * Edges follow the OCI image spec: an index names its children in `manifests`, a referrer names its subject
 * in `subject` (https://github.com/opencontainers/image-spec/blob/main/manifest.md#image-manifest-property-descriptions).
 * A manifest lives as long as its subject; a child as long as an index naming it.
 */

/** The parsed manifest of a digest, or undefined when it is unknown or could not be parsed (a finding). */
export type ManifestLookup = (digest: Digest) => ManifestInfo | undefined;

/** How a walk reached a digest from the one before it. */
export type GraphEdge = "child" | "referrer";

/** One repository's manifest graph: manifests are global (content-addressed), referrers are per repository. */
export interface ManifestGraph {
  manifest: ManifestLookup;
  /** Revisions of the repository whose `subject` is the key, in revision order. */
  referrers: ReadonlyMap<Digest, readonly Digest[]>;
}

/** The lookup of parsed manifests of an inventory (problems read as unknown). */
export function manifestLookup(inventory: Pick<Inventory, "manifests">): ManifestLookup {
  return (digest) => {
    const m = inventory.manifests.get(digest);
    return m && !isManifestProblem(m) ? m : undefined;
  };
}

/** Referrers by subject among `digests` (a repository's revisions). */
export function referrersBySubject(
  digests: Iterable<Digest>,
  manifest: ManifestLookup,
): Map<Digest, Digest[]> {
  const referrers = new Map<Digest, Digest[]>();
  for (const d of digests) {
    const subject = manifest(d)?.subject;
    if (!subject) continue;
    const list = referrers.get(subject);
    if (list) list.push(d);
    else referrers.set(subject, [d]);
  }
  return referrers;
}

/** The manifest graph of one repository of an inventory. */
export function repositoryGraph(
  repo: RepositoryInventory,
  manifest: ManifestLookup,
  revisions: Iterable<Digest> = repo.revisions.map((r) => r.digest),
): ManifestGraph {
  return { manifest, referrers: referrersBySubject(revisions, manifest) };
}

/**
 * Walks from `roots` (already entered by the caller) through index children and referrers, depth first
 * (last root first, children before referrers). `enter(digest, from, edge)` says whether the walk visits a
 * digest and goes on from it: the caller keeps the visited set, so it decides what stops the walk.
 */
export function walkReachable(
  graph: ManifestGraph,
  roots: Iterable<Digest>,
  enter: (digest: Digest, from: Digest, edge: GraphEdge) => boolean,
): void {
  const stack = [...roots];
  while (stack.length > 0) {
    const d = stack.pop() as Digest;
    for (const child of graph.manifest(d)?.children ?? []) if (enter(child, d, "child")) stack.push(child);
    for (const r of graph.referrers.get(d) ?? []) if (enter(r, d, "referrer")) stack.push(r);
  }
}

/** Everything tagged manifests of a repository reach (the tagged ones included), through children and referrers. */
export function reachableFromTags(repo: RepositoryInventory, graph: ManifestGraph): Set<Digest> {
  const reached = new Set<Digest>();
  for (const t of repo.tags) if (t.current) reached.add(t.current);
  walkReachable(graph, reached, (d) => !reached.has(d) && reached.add(d) !== undefined);
  return reached;
}

/**
 * The digests an image is made of: the manifest, its config and layers, and for an index every child's,
 * recursively (each once). What `ls` sizes and what deleting one manifest alone could free.
 */
export function imageContents(
  manifest: ManifestLookup,
  digest: Digest,
  into = new Set<Digest>(),
): Set<Digest> {
  if (into.has(digest)) return into;
  into.add(digest);
  const m = manifest(digest);
  if (!m) return into;
  for (const b of m.blobs) into.add(b);
  for (const c of m.children) imageContents(manifest, c, into);
  return into;
}

/** The blobs a revision names: its manifest, its schema1 signatures, and its manifest's config and layers. */
export function revisionBlobs(r: RevisionInfo, manifest: ManifestLookup): Digest[] {
  return [r.digest, ...r.signatures, ...(manifest(r.digest)?.blobs ?? [])];
}

/** Tags named after a digest (`sha256-<hex>[.sig|.att|.sbom|…]`) hold referrers of that digest (cosign's convention). */
const REFERRER_TAG = /^(sha256)-([a-f0-9]{64})(?:\..*)?$/;

/** The subject digest a referrer-convention tag names, if it is one. */
export function referrerTagSubject(tag: string): Digest | undefined {
  const m = REFERRER_TAG.exec(tag);
  return m ? (`${m[1]}:${m[2]}` as Digest) : undefined;
}
