import type { Digest } from "../model/digest.js";
import { isDigest } from "../model/digest.js";
import { isManifestProblem, parseManifest } from "../model/manifest.js";
import type { Plan, PlanAction, RepositorySnapshot } from "../model/plan.js";
import { findRepositories } from "../storage/find-repositories.js";
import { pathFor } from "../storage/storage-paths.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";
import { chunks, forEachLimited } from "../util/for-each-limited.js";

const join = (...parts: string[]) => parts.join("/");

// A mark of what was written while a live deletion runs. See docs/live-gc.md for the races it answers.

/**
 * Timestamps on a filesystem are written by the storage host's clock and may be coarse: anything within
 * this much before the inventory began counts as written after it.
 */
export const MTIME_SLACK_MS = 2_000;

/** What a live mark found: every digest something written since the inventory needs, and why. */
export interface LiveMark {
  /** Manifests, configs, layers and children that a manifest written or tagged since then names. */
  inUse: Set<Digest>;
  /** Planned items whose own file was written again since then (a re-put, re-mount, re-upload), as action keys. */
  rewritten: Set<string>;
  /** How many manifests written since then were read to find `inUse`. */
  manifestsRead: number;
  /** When the mark began reading (anything written after it is for the next mark). */
  startedAtMs: number;
}

/** The key an action is known by in a mark (one per item, whatever its type). */
export function actionKey(a: PlanAction): string {
  switch (a.type) {
    case "tag":
      return `tag ${a.repository}:${a.tag}`;
    case "revision":
    case "layer-link":
    case "tag-index-entry":
      return `${a.type} ${a.repository}@${a.digest}`;
    case "blob":
      return `blob ${a.digest}`;
    case "upload":
      return `upload ${a.repository} ${a.upload}`;
    case "multipart-upload":
      return `multipart-upload ${a.repository} ${a.upload} ${a.uploadId}`;
    case "prune":
      return `prune ${a.path}`;
  }
}

/** The one file whose presence makes an item what it is: the file a live deletion holds back first. */
export function keyFile(a: PlanAction): string | undefined {
  switch (a.type) {
    case "tag":
      return pathFor({ kind: "tag-current-link", repository: a.repository, tag: a.tag });
    case "revision":
      return pathFor({ kind: "revision-link", repository: a.repository, digest: a.digest });
    case "layer-link":
      return pathFor({ kind: "layer-link", repository: a.repository, digest: a.digest });
    case "blob":
      return pathFor({ kind: "blob-data", digest: a.digest });
    default:
      return undefined;
  }
}

/** `<alg>/<hex>` folders holding a `link`, under one of `dirs` (a repository's revisions or _layers). */
async function linkedEntries(store: Store, dirs: string[]): Promise<Array<{ digest: Digest; link: string }>> {
  const algDirs: string[] = [];
  const algs: string[] = [];
  (await store.list(dirs)).forEach((listing, i) => {
    for (const { name: alg, kind } of settled(store, listing, dirs[i] as string) ?? [])
      if (kind === "dir") {
        algDirs.push(join(dirs[i] as string, alg));
        algs.push(alg);
      }
  });
  const found: Array<{ digest: Digest; link: string }> = [];
  (await store.list(algDirs)).forEach((listing, i) => {
    for (const { name: hex, kind } of settled(store, listing, algDirs[i] as string) ?? []) {
      const digest = `${algs[i]}:${hex}`;
      if (kind === "dir" && isDigest(digest))
        found.push({ digest, link: join(algDirs[i] as string, hex, "link") });
    }
  });
  const links = await store.stat(found.map((f) => f.link));
  return found.filter((f, i) => settled(store, links[i], f.link)?.kind === "file");
}

/**
 * Reads what was written to the tree since `sinceMs` (the moment the plan's inventory began) and returns
 * everything it needs. Cheap where nothing changed: a repository's revisions and layer links are listed
 * only when their folder's mtime says an entry was added; tags are read (a re-pushed tag is rewritten in
 * place, which no folder mtime shows); the plan's own items are stat'ed for a rewrite of their key file.
 * Manifests found new are read and followed (children, config, layers, subject), transitively.
 */
export async function markLive(
  store: Store,
  plan: Plan,
  sinceMs: number,
  among: readonly PlanAction[] = plan.actions,
): Promise<LiveMark> {
  const startedAtMs = Date.now();
  const since = sinceMs - MTIME_SLACK_MS;
  const mark: LiveMark = { inUse: new Set(), rewritten: new Set(), manifestsRead: 0, startedAtMs };
  const snapshots = new Map<string, RepositorySnapshot>(plan.snapshots.map((s) => [s.name, s]));
  const known = new Map<string, Set<string>>();
  const knownRevisions = (s: RepositorySnapshot) => {
    let set = known.get(s.name);
    if (!set) {
      set = new Set(s.revisions);
      known.set(s.name, set);
    }
    return set;
  };
  /** Manifests to follow, each `repository@digest`. */
  const toRead = new Map<string, { repository: string; digest: Digest }>();
  const follow = (repository: string, digest: Digest) => {
    mark.inUse.add(digest);
    toRead.set(`${repository}@${digest}`, { repository, digest });
  };

  const repositories = await findRepositories(store);
  await forEachLimited(chunks(repositories, 8), 3, async (round) => {
    const revisionsDirs = round.map((r) => join(r.dir, "_manifests/revisions"));
    const layersDirs = round.map((r) => join(r.dir, "_layers"));
    const tagsDirs = round.map((r) => join(r.dir, "_manifests/tags"));
    const [revisionStats, layerStats, tagLists] = await Promise.all([
      store.stat(revisionsDirs.map((d) => join(d, "sha256"))),
      store.stat(layersDirs.map((d) => join(d, "sha256"))),
      store.list(tagsDirs),
    ]);
    const changedRevisions: number[] = [];
    const changedLayers: number[] = [];
    round.forEach((repo, i) => {
      const fresh = !snapshots.has(repo.name);
      const revs = settled(store, revisionStats[i], revisionsDirs[i] as string);
      if (revs && (fresh || revs.mtimeMs >= since)) changedRevisions.push(i);
      const layers = settled(store, layerStats[i], layersDirs[i] as string);
      if (layers && (fresh || layers.mtimeMs >= since)) changedLayers.push(i);
    });
    const [revisionEntries, layerEntries] = await Promise.all([
      Promise.all(changedRevisions.map((i) => linkedEntries(store, [revisionsDirs[i] as string]))),
      Promise.all(changedLayers.map((i) => linkedEntries(store, [layersDirs[i] as string]))),
    ]);
    changedRevisions.forEach((i, k) => {
      const repo = round[i] as (typeof round)[number];
      const snap = snapshots.get(repo.name);
      const knownSet = snap ? knownRevisions(snap) : undefined;
      for (const { digest } of revisionEntries[k] ?? [])
        if (!knownSet?.has(digest)) follow(repo.name, digest);
    });
    // A new layer link is a push in flight (uploaded or mounted, manifest still to come): keep its blob.
    const layerLinks = changedLayers.flatMap((i, k) =>
      (layerEntries[k] ?? []).map((e) => ({ ...e, repository: (round[i] as (typeof round)[number]).name })),
    );
    const layerTimes = await store.stat(layerLinks.map((l) => l.link));
    layerLinks.forEach((l, i) => {
      const info = settled(store, layerTimes[i], l.link);
      if (info && info.mtimeMs >= since) mark.inUse.add(l.digest);
    });

    const tags = round.flatMap((repo, i) =>
      (settled(store, tagLists[i], tagsDirs[i] as string) ?? []).map(({ name: tag }) => ({
        repository: repo.name,
        tag,
        path: join(tagsDirs[i] as string, tag, "current/link"),
      })),
    );
    const currents = await store.readSmall(tags.map((t) => t.path));
    tags.forEach(({ repository, tag, path }, i) => {
      const current = settled(store, currents[i], path);
      const digest = current?.text?.trim();
      if (!current || !digest || !isDigest(digest)) return;
      const was = snapshots.get(repository)?.tags[tag];
      if (was !== digest || current.mtimeMs >= since) {
        follow(repository, digest);
        if (was !== undefined) mark.rewritten.add(`tag ${repository}:${tag}`);
      }
    });
  });

  // The plan's own items written again in place: a manifest put again by digest, a blob mounted or
  // uploaded again, a blob re-uploaded (its data rewritten).
  // Every planned revision and layer link counts, not only this group's: a manifest put again after its
  // own group was let go of still needs the blobs of later groups.
  const group = new Set(among);
  const planned = plan.actions.flatMap((a) => {
    const file =
      a.type === "tag" || !(group.has(a) || a.type === "revision" || a.type === "layer-link")
        ? undefined
        : keyFile(a);
    return file ? [{ a, file }] : [];
  });
  const times = await store.stat(planned.map((p) => p.file));
  planned.forEach(({ a, file }, i) => {
    const info = settled(store, times[i], file);
    if (!info || info.mtimeMs < since) return;
    mark.rewritten.add(actionKey(a));
    if (a.type === "revision") follow(a.repository, a.digest);
    else if ("digest" in a) mark.inUse.add(a.digest);
  });

  // Follow what the new manifests name, transitively (an index's children are manifests too).
  const read = new Set<string>();
  while (toRead.size > 0) {
    const batch = [...toRead.values()].filter((m) => !read.has(`${m.repository}@${m.digest}`));
    toRead.clear();
    if (batch.length === 0) break;
    for (const m of batch) read.add(`${m.repository}@${m.digest}`);
    const paths = batch.map((m) => pathFor({ kind: "blob-data", digest: m.digest }));
    const bodies = await store.read(paths);
    batch.forEach((m, i) => {
      const bytes = settled(store, bodies[i], paths[i] as string);
      if (!bytes) return; // its data is not there (yet): nothing it names can be known, the manifest itself is kept
      mark.manifestsRead++;
      const info = parseManifest(bytes);
      if (isManifestProblem(info)) return;
      for (const blob of info.blobs) mark.inUse.add(blob);
      if (info.subject) mark.inUse.add(info.subject);
      for (const child of info.children) follow(m.repository, child);
    });
  }
  return mark;
}
