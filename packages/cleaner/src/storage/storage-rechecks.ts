import { type Digest, isDigest } from "../model/digest.js";
import type { RepositoryInventory } from "../model/inventory.js";
import type { Plan, RepositorySnapshot } from "../model/plan.js";
import { layoutScans } from "../stores/layout-scans.js";
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

/**
 * The revision folders below `revisionDirs` that hold a `signatures` folder (schema1), linked or not. The
 * scan of each revisions folder says what a folder holds besides its link (one listing a repository on
 * object storage), so only those are looked into, not every revision (a listing each).
 */
async function signatureHolders(store: Store, revisionDirs: string[]): Promise<string[]> {
  const holders: string[] = [];
  (await layoutScans(store).scanLinkTrees(revisionDirs)).forEach((outcome, r) => {
    const root = revisionDirs[r] as string;
    for (const alg of settled(store, outcome, root)?.algorithms ?? []) {
      const dir = (i: number) => `${root}/${alg.name}/${alg.entries[i]}`;
      // A scan that does not say what folders hold: every folder may hold signatures.
      if (alg.extras === undefined) {
        for (let i = 0; i < alg.entries.length; i++) if (alg.kinds[i] === "d") holders.push(dir(i));
        continue;
      }
      const seen = new Set<number>();
      for (const [i, name, kind] of alg.extras)
        if (name === "signatures" && kind === "dir" && !seen.has(i)) {
          seen.add(i);
          holders.push(dir(i));
        }
    }
  });
  return holders;
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

/** What links blobs right now (see `liveLinks`). */
export interface LiveLinks {
  /** Blobs some repository links through a layer link, a revision link or a manifest's signature link. */
  live: Set<string>;
  /**
   * Of those, blobs linked only through a link no inventory reads as a repository's (a signature link below
   * a revision folder without its own link, or not named as a digest), with that link's path: the plan will
   * delete them again on every run until the operator fixes that folder.
   */
  unread: Map<string, string>;
}

/**
 * Which of `blobs` some repository links right now (revisions, layers, schema1 signatures), read fresh
 * before blobs go. Only folders named after one of them have their link checked: an API delete leaves the
 * emptied folder behind, and a folder without its link links nothing (as `linkedblobstore.go` sees it).
 * A signature link below any revision folder counts (never delete what a link names), but one below a folder
 * that is no revision is reported as `unread`.
 */
export async function liveLinks(store: Store, blobs: ReadonlySet<string>): Promise<LiveLinks> {
  const live = new Set<string>();
  const counted = new Set<string>();
  const unread = new Map<string, string>();
  const repositories = (await findRepositories(store)).map((r) => r.name);
  await forEachLimited(chunks(repositories, 8), 3, async (round) => {
    const revisionDirs = round.map((repository) => folderFor({ kind: "revisions-dir", repository }));
    const [layers, revisions, signed] = await Promise.all([
      linkedDigests(
        store,
        round.map((repository) => folderFor({ kind: "layers-dir", repository })),
        blobs,
      ),
      linkedDigests(store, revisionDirs, blobs),
      // Signatures hang below any revision folder, kept or not.
      signatureHolders(store, revisionDirs),
    ]);
    const signatures = await linkedDigests(
      store,
      signed.map((dir) => `${dir}/signatures`),
      blobs,
    );
    for (const list of [layers, revisions]) for (const { digest } of list) counted.add(digest);
    // Is the revision folder above each signature link a revision (a digest's name, its link there)?
    const holders = signatures.map((s) => s.dir.slice(0, s.dir.lastIndexOf("/signatures/")));
    const holderLinks = await store.stat(holders.map((h) => `${h}/link`));
    signatures.forEach((sig, i) => {
      const holder = holders[i] as string;
      const name = holder.split("/").slice(-2).join(":");
      const read = isDigest(name) && settled(store, holderLinks[i], `${holder}/link`)?.kind === "file";
      if (read) counted.add(sig.digest);
      else unread.set(sig.digest, `${sig.dir}/link`);
    });
  });
  for (const digest of counted) live.add(digest);
  for (const digest of unread.keys()) {
    live.add(digest);
    // A blob some other link names after all is no operator's problem: a re-run keeps it.
    if (counted.has(digest)) unread.delete(digest);
  }
  return { live, unread };
}
