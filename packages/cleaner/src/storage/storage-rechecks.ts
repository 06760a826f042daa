import type { Plan } from "../model/plan.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";
import { chunks, forEachLimited } from "../util/for-each-limited.js";
import { findRepositories } from "./find-repositories.js";
import { folderFor } from "./storage-paths.js";

// What apply re-reads from the store right before it deletes, to notice what changed since planning.

/** `<alg>/<hex>` folders under each of `roots` (only those of `among`, if given), as digests with their folders. */
async function linkFolders(
  store: Store,
  roots: string[],
  among?: ReadonlySet<string>,
): Promise<Array<{ digest: string; dir: string }>> {
  const algDirs: Array<{ alg: string; dir: string }> = [];
  (await store.list(roots)).forEach((listing, i) => {
    for (const { name: alg, kind } of settled(store, listing, roots[i] as string) ?? [])
      if (kind === "dir") algDirs.push({ alg, dir: `${roots[i]}/${alg}` });
  });
  const folders: Array<{ digest: string; dir: string }> = [];
  (await store.list(algDirs.map((a) => a.dir))).forEach((listing, i) => {
    const { alg, dir } = algDirs[i] as (typeof algDirs)[number];
    for (const { name: hex, kind } of settled(store, listing, dir) ?? []) {
      const digest = `${alg}:${hex}`;
      if (kind === "dir" && (!among || among.has(digest))) folders.push({ digest, dir: `${dir}/${hex}` });
    }
  });
  return folders;
}

/** Those of `linkFolders` that hold a `link` file: a folder without it links nothing (`linkedblobstore.go`). */
async function linkedDigests(
  store: Store,
  roots: string[],
  among?: ReadonlySet<string>,
): Promise<Array<{ digest: string; dir: string }>> {
  const folders = await linkFolders(store, roots, among);
  const links = await store.stat(folders.map((f) => `${f.dir}/link`));
  return folders.filter((f, i) => settled(store, links[i], `${f.dir}/link`)?.kind === "file");
}

/**
 * Which snapshot repositories changed in a way that could make the plan delete something now in use. Read
 * in rounds of a few repositories, so what a round reads is garbage before the next (a 500-repository
 * snapshot read at once held 50k link folders at the same moment).
 */
export async function staleRepositories(store: Store, plan: Plan): Promise<Map<string, string>> {
  const stale = new Map<string, string>();
  await forEachLimited(chunks(plan.snapshots, 8), 3, async (round) => {
    const tagsDirs = round.map((snap) => folderFor({ kind: "tags-dir", repository: snap.name }));
    const [revisionSets, tagLists] = await Promise.all([
      Promise.all(
        round.map((snap) =>
          linkedDigests(store, [folderFor({ kind: "revisions-dir", repository: snap.name })]),
        ),
      ),
      store.list(tagsDirs),
    ]);
    const tags = round.flatMap((snap, s) => {
      const tagsDir = tagsDirs[s] as string;
      return (settled(store, tagLists[s], tagsDir) ?? []).map(({ name: tag }) => ({
        snap,
        tag,
        path: `${tagsDir}/${tag}/current/link`,
      }));
    });
    const currents = await store.readSmall(tags.map((t) => t.path));
    round.forEach((snap, s) => {
      const known = new Set<string>(snap.revisions);
      const pushed = (revisionSets[s] ?? []).find((r) => !known.has(r.digest));
      if (pushed) stale.set(snap.name, `a manifest was pushed since the plan was made (${pushed.digest})`);
    });
    tags.forEach(({ snap, tag, path }, i) => {
      const current = settled(store, currents[i], path)?.text?.trim();
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
export async function liveLinks(store: Store, blobs: ReadonlySet<string>): Promise<Set<string>> {
  const live = new Set<string>();
  const repositories = (await findRepositories(store)).map((r) => r.name);
  await forEachLimited(chunks(repositories, 8), 3, async (round) => {
    const revisionDirs = round.map((repository) => folderFor({ kind: "revisions-dir", repository }));
    const [layers, revisions, allRevisions] = await Promise.all([
      linkedDigests(
        store,
        round.map((repository) => folderFor({ kind: "layers-dir", repository })),
        blobs,
      ),
      linkedDigests(store, revisionDirs, blobs),
      // Signatures hang below any revision folder, kept or not.
      linkFolders(store, revisionDirs),
    ]);
    const signatures = await linkedDigests(
      store,
      allRevisions.map((r) => `${r.dir}/signatures`),
      blobs,
    );
    for (const list of [layers, revisions, signatures]) for (const { digest } of list) live.add(digest);
  });
  return live;
}
