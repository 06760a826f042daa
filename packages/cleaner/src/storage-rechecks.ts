import { join } from "node:path";
import { type FileIoPool, settled } from "./file-io-pool.js";
import { findRepositories } from "./find-repositories.js";
import { chunks, forEachLimited } from "./for-each-limited.js";
import type { Plan } from "./plan.js";
import { pathFor } from "./storage-paths.js";

// What apply re-reads from the tree right before it deletes, to notice what changed since planning.

/** `<alg>/<hex>` folders under each of `roots` (only those of `among`, if given), as digests with their folders. */
async function linkFolders(
  io: FileIoPool,
  roots: string[],
  among?: ReadonlySet<string>,
): Promise<Array<{ digest: string; dir: string }>> {
  const algDirs: Array<{ alg: string; dir: string }> = [];
  (await io.list(roots)).forEach((listing, i) => {
    for (const [alg, kind] of settled(listing, roots[i] as string) ?? [])
      if (kind === "dir") algDirs.push({ alg, dir: join(roots[i] as string, alg) });
  });
  const folders: Array<{ digest: string; dir: string }> = [];
  (await io.list(algDirs.map((a) => a.dir))).forEach((listing, i) => {
    const { alg, dir } = algDirs[i] as (typeof algDirs)[number];
    for (const [hex, kind] of settled(listing, dir) ?? []) {
      const digest = `${alg}:${hex}`;
      if (kind === "dir" && (!among || among.has(digest))) folders.push({ digest, dir: join(dir, hex) });
    }
  });
  return folders;
}

/** Those of `linkFolders` that hold a `link` file: a folder without it links nothing (`linkedblobstore.go`). */
async function linkedDigests(
  io: FileIoPool,
  roots: string[],
  among?: ReadonlySet<string>,
): Promise<Array<{ digest: string; dir: string }>> {
  const folders = await linkFolders(io, roots, among);
  const links = await io.stat(folders.map((f) => join(f.dir, "link")));
  return folders.filter((f, i) => settled(links[i], join(f.dir, "link"))?.kind === "file");
}

/**
 * Which snapshot repositories changed in a way that could make the plan delete something now in use. Read
 * in rounds of a few repositories, so what a round reads is garbage before the next (a 500-repository
 * snapshot read at once held 50k link folders at the same moment).
 */
export async function staleRepositories(
  io: FileIoPool,
  root: string,
  plan: Plan,
): Promise<Map<string, string>> {
  const stale = new Map<string, string>();
  await forEachLimited(chunks(plan.snapshots, 8), 3, async (round) => {
    const dirs = round.map((snap) => join(root, pathFor({ kind: "repository", repository: snap.name })));
    const [revisionSets, tagLists] = await Promise.all([
      Promise.all(dirs.map((dir) => linkedDigests(io, [join(dir, "_manifests/revisions")]))),
      io.list(dirs.map((dir) => join(dir, "_manifests/tags"))),
    ]);
    const tags = round.flatMap((snap, s) => {
      const tagsDir = join(dirs[s] as string, "_manifests/tags");
      return (settled(tagLists[s], tagsDir) ?? []).map(([tag]) => ({
        snap,
        tag,
        path: join(tagsDir, tag, "current/link"),
      }));
    });
    const currents = await io.readSmall(tags.map((t) => t.path));
    round.forEach((snap, s) => {
      const known = new Set<string>(snap.revisions);
      const pushed = (revisionSets[s] ?? []).find((r) => !known.has(r.digest));
      if (pushed) stale.set(snap.name, `a manifest was pushed since the plan was made (${pushed.digest})`);
    });
    tags.forEach(({ snap, tag, path }, i) => {
      const current = settled(currents[i], path)?.text?.trim();
      if (current === undefined) return;
      if (!(tag in snap.tags)) stale.set(snap.name, `tag '${tag}' was pushed since the plan was made`);
      else if (snap.tags[tag] !== current) stale.set(snap.name, `tag '${tag}' moved since the plan was made`);
    });
  });
  return stale;
}

/**
 * Which of `blobs` some repository links right now (revisions, layers, schema1 signatures), read fresh
 * before blobs go. Only folders named after one of them have their link checked: an API delete leaves the
 * emptied folder behind, and a folder without its link links nothing (as `linkedblobstore.go` sees it).
 */
export async function liveLinks(
  io: FileIoPool,
  root: string,
  blobs: ReadonlySet<string>,
): Promise<Set<string>> {
  const live = new Set<string>();
  const repositories = (await findRepositories(io, root)).map((r) => r.dir);
  await forEachLimited(chunks(repositories, 8), 3, async (round) => {
    const [layers, revisions, allRevisions] = await Promise.all([
      linkedDigests(
        io,
        round.map((dir) => join(dir, "_layers")),
        blobs,
      ),
      linkedDigests(
        io,
        round.map((dir) => join(dir, "_manifests/revisions")),
        blobs,
      ),
      // Signatures hang below any revision folder, kept or not.
      linkFolders(
        io,
        round.map((dir) => join(dir, "_manifests/revisions")),
      ),
    ]);
    const signatures = await linkedDigests(
      io,
      allRevisions.map((r) => join(r.dir, "signatures")),
      blobs,
    );
    for (const list of [layers, revisions, signatures]) for (const { digest } of list) live.add(digest);
  });
  return live;
}
