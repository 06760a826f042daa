import type { Digest } from "../model/digest.js";
import type { RepositoryInventory } from "../model/inventory.js";
import type { Plan, RepositorySnapshot } from "../model/plan.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";
import { chunks, forEachLimited } from "../util/for-each-limited.js";
import { findRepositories } from "./find-repositories.js";
import { rereadRepositories } from "./read-storage-inventory.js";
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

/** What changed in a repository since planning that matters to the plan; `code` is stable, for callers. */
export type RepositoryChange =
  | { repository: string; code: "tag.pushed" | "tag.moved"; tag: string; digest: Digest }
  | { repository: string; code: "tag.gone"; tag: string }
  | { repository: string; code: "revision.pushed" | "revision.gone"; digest: Digest };

/** A change as an operator reads it. */
export function describeChange(change: RepositoryChange): string {
  switch (change.code) {
    case "tag.pushed":
      return `tag '${change.tag}' was pushed (${change.digest}) since the plan was made`;
    case "tag.moved":
      return `tag '${change.tag}' moved to ${change.digest} since the plan was made`;
    case "tag.gone":
      return `tag '${change.tag}', which the plan keeps, was deleted since the plan was made`;
    case "revision.pushed":
      return `a manifest was pushed since the plan was made (${change.digest})`;
    case "revision.gone":
      return `the manifest ${change.digest}, which the plan keeps, was deleted since the plan was made`;
  }
}

/**
 * Which snapshot repositories changed in a way that matters to the plan (a tag pushed, moved or gone, a
 * manifest pushed or gone), and the first such change of each. Each repository is read again by the very
 * code the inventory read it with (`rereadRepositories`), so a stray entry or a link that is not a digest
 * reads the same as at planning and is no change; what the plan itself removes (a resumed run) is no change
 * either. Read in rounds of a few repositories, so what a round reads is garbage before the next.
 */
export async function staleRepositories(store: Store, plan: Plan): Promise<Map<string, RepositoryChange>> {
  const removedTags = new Set<string>();
  const removedRevisions = new Set<string>();
  for (const a of plan.actions) {
    if (a.type === "tag") removedTags.add(`${a.repository}:${a.tag}`);
    else if (a.type === "revision") removedRevisions.add(`${a.repository}@${a.digest}`);
  }
  const stale = new Map<string, RepositoryChange>();
  await forEachLimited(chunks(plan.snapshots, 8), 3, async (round) => {
    const now = await rereadRepositories(
      store,
      round.map((snap) => snap.name),
    );
    round.forEach((snap, s) => {
      const change = firstChange(snap, now[s] as RepositoryInventory, removedTags, removedRevisions);
      if (change) stale.set(snap.name, change);
    });
  });
  return stale;
}

function firstChange(
  snap: RepositorySnapshot,
  now: RepositoryInventory,
  removedTags: ReadonlySet<string>,
  removedRevisions: ReadonlySet<string>,
): RepositoryChange | undefined {
  const repository = snap.name;
  const known = new Set<string>(snap.revisions);
  const pushed = now.revisions.find((r) => !known.has(r.digest));
  if (pushed) return { repository, code: "revision.pushed", digest: pushed.digest };
  const tagsNow = new Map(now.tags.map((t) => [t.name, t.current]));
  for (const [tag, current] of tagsNow) {
    if (current === undefined) {
      if (!(tag in snap.tags)) continue; // a folder without a current link names nothing to protect
      if (snap.tags[tag] !== null && !removedTags.has(`${repository}:${tag}`))
        return { repository, code: "tag.gone", tag };
    } else if (!(tag in snap.tags)) return { repository, code: "tag.pushed", tag, digest: current };
    else if (snap.tags[tag] !== current) return { repository, code: "tag.moved", tag, digest: current };
  }
  for (const tag of Object.keys(snap.tags)) {
    if (!tagsNow.has(tag) && snap.tags[tag] !== null && !removedTags.has(`${repository}:${tag}`))
      return { repository, code: "tag.gone", tag };
  }
  const revisionsNow = new Set<string>(now.revisions.map((r) => r.digest));
  for (const digest of snap.revisions) {
    if (!revisionsNow.has(digest) && !removedRevisions.has(`${repository}@${digest}`))
      return { repository, code: "revision.gone", digest };
  }
  return undefined;
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
