import { type Digest, isDigest } from "../model/digest.js";
import { NotAStorageTreeError, ReadInterruptedError } from "../model/errors.js";
import {
  type BlobInfo,
  type Finding,
  type Inventory,
  type RepositoryInventory,
  type TagInfo,
  UNREAD_FIX,
  type UnreadLinks,
  type UploadInfo,
} from "../model/inventory.js";
import {
  isManifestProblem,
  type ManifestInfo,
  type ManifestProblem,
  parseManifest,
} from "../model/manifest.js";
import { isTag } from "../model/reference.js";
import { isPlaceholderBlob, isPlaceholderManifest, mayBePlaceholderBlob } from "../placeholder.js";
import { openFsStore } from "../stores/fs/open-fs-store.js";
import { layoutScans } from "../stores/layout-scans.js";
import { settled } from "../stores/outcome.js";
import type {
  LinkTreeScan,
  Store,
  StoreEntry,
  StoreEntryKind,
  StoreLayoutScans,
  StoreOutcome,
  TagTreeScan,
} from "../stores/store.js";
import type { StoreTarget } from "../stores/use-store.js";
import { chunks, forEachLimited, mapLimited } from "../util/for-each-limited.js";
import { findRepositories } from "./find-repositories.js";
import { readMultipartUploads } from "./read-multipart-uploads.js";
import { BLOBS_ROOT, folderFor, pathFor, V2_ROOT } from "./storage-paths.js";

/**
 * How far a read of a storage tree has got, for a progress line: counters only, sent once per round of
 * work (never per file). Read it when called; the same object is sent each time, updated in place.
 */
export interface StorageReadProgress {
  /** What is being read now. */
  phase: "repositories" | "blobs" | "manifests";
  /** Done in this phase (repositories, blobs or manifests), of `total` where known. */
  done: number;
  total?: number;
  /** Repositories read so far, of `repositoriesTotal` (known once the repository folders are found). */
  repositories: number;
  repositoriesTotal: number;
  /** Files read so far: links, blob data files (stat), manifests. */
  files: number;
}

/** Options for reading a storage tree. */
export interface ReadStorageOptions {
  /** Called as the walk goes, for progress lines. */
  onProgress?: (progress: Readonly<StorageReadProgress>) => void;
  /** Threads doing the file I/O (default `DEFAULT_IO_THREADS`). */
  ioThreads?: number;
  /**
   * Stops the read between rounds (Ctrl-C): it rejects with `ReadInterruptedError` once the requests in
   * flight are back, rather than reading the rest of the tree first.
   */
  signal?: AbortSignal;
}

/**
 * The walk goes in rounds of a few repositories (or blob prefixes) with a few rounds in flight: each round
 * is a handful of large batches for the I/O threads, and what a round allocates dies young instead of
 * piling up in the old generation (reading the whole tree level by level doubled the peak RSS).
 */
const REPOSITORIES_PER_ROUND = 8;
const BLOB_PREFIXES_PER_ROUND = 8;
const ROUNDS_IN_FLIGHT = 3;
/** Manifests read per round: bounds the bytes held at once while the next round is read. */
const MANIFEST_CHUNK = 1024;

/**
 * Reads a `distribution` storage tree in one pass (see `readStoreInventory`): a store given is read (and
 * stays open), a root is opened as the filesystem store, which must be a storage tree.
 */
export async function readStorageInventory(
  target: StoreTarget,
  options: ReadStorageOptions = {},
): Promise<Inventory> {
  if (typeof target !== "string") return readStoreInventory(target, options);
  const store = await openFsStore(target, { ioThreads: options.ioThreads });
  try {
    return await readStoreInventory(store, options);
  } finally {
    await store.close();
  }
}

/**
 * Reads a registry's storage from a store in one pass: repositories (nested names too), tags with their
 * history, revisions, layer links, uploads, blobs and every manifest. Oddities become findings; nothing here
 * throws for a broken tree except a store that is not a storage tree at all, or an entry the store refuses
 * to read (which would make any decision about it a guess).
 */
export async function readStoreInventory(
  store: Store,
  options: Omit<ReadStorageOptions, "ioThreads"> = {},
): Promise<Inventory> {
  const [v2] = await store.list([V2_ROOT]);
  // One rule on every store: a tree is where the layout is. An emptied tree on disk keeps its folders (no
  // plan removes the skeleton) and stays one; on a store without folders an emptied prefix holds no key,
  // which is what a wrong prefix holds too: said as both, never guessed at.
  if (v2 === undefined || !Array.isArray(settled(store, v2, V2_ROOT)))
    throw new NotAStorageTreeError(
      store.location,
      store.capabilities.folders
        ? `it has no ${V2_ROOT} folder (give the registry's rootdirectory, e.g. /var/lib/registry)`
        : `nothing is stored below ${V2_ROOT}/: a wrong prefix (give the registry's rootdirectory), or a tree emptied by deleting everything, which leaves no key behind (then there is nothing to do)`,
    );
  return new TreeReader(store, options).read();
}

/**
 * The repositories `names` as `readStoreInventory` reads them, findings dropped: apply's re-read before it
 * deletes, so that what planning saw (a stray entry, a link that is not a digest) is seen the same way.
 * Manifests and blobs are not read; a repository that is gone reads as empty.
 */
export async function rereadRepositories(store: Store, names: string[]): Promise<RepositoryInventory[]> {
  return new TreeReader(store, {}).readRepositories(names);
}

/** What a link folder may hold besides `link`: nothing, or for a revision its schema1 signatures. */
const NO_SUBFOLDERS: ReadonlySet<string> = new Set();
const REVISION_SUBFOLDERS: ReadonlySet<string> = new Set(["signatures"]);

/** A scan's sparse extras by entry index. */
function groupExtras(
  extras: Array<[number, string, StoreEntryKind]> | undefined,
): Map<number, Array<[string, StoreEntryKind]>> {
  const by = new Map<number, Array<[string, StoreEntryKind]>>();
  for (const [i, name, kind] of extras ?? []) {
    const list = by.get(i);
    if (list) list.push([name, kind]);
    else by.set(i, [[name, kind]]);
  }
  return by;
}

/** What `_manifests/` holds, and a tag's folder. */
const MANIFESTS_ENTRIES: ReadonlySet<string> = new Set(["revisions", "tags"]);
const TAG_ENTRIES: ReadonlySet<string> = new Set(["current", "index"]);

/** A `<alg>/<hex>/link` entry that exists, with its `<alg>` folder. */
interface DigestLink {
  digest: Digest;
  mtimeMs: number;
  /** The store's order key of the link file (see `Inventory`). */
  orderKey: number;
  /**
   * False when the scan says the link folder holds none of the subfolders asked about (a revision without
   * `signatures/`): nothing to read below it. On object storage that spares a listing per revision.
   */
  mayHoldSubfolders: boolean;
}

/** How `readLinkSets` reads a set of link trees. */
interface LinkSetOptions {
  /** Folders a link folder may hold besides `link` (a revision's `signatures`). */
  subfolders?: ReadonlySet<string>;
  /** Note a root that is there and empty (a repository's `_layers`, `revisions`: see `skeletonDirs`). */
  noteEmptyRoot?: boolean;
  /** Called for a link folder without its link that holds one of `subfolders` (a revision's `signatures`). */
  unlinkedHolding?: (dir: string, repository: string) => void;
}

/**
 * One read of one tree. The walk goes level by level (all repositories' tag folders, then all their
 * links, …), each level one batch for the I/O threads, so a 400k-file tree costs a few hundred messages.
 */
class TreeReader {
  private readonly findings: Finding[] = [];
  private readonly emptyDirs: string[] = [];
  private readonly skeletonDirs: string[] = [];
  private readonly strays: string[] = [];
  private readonly unreadLinks: UnreadLinks[] = [];
  /**
   * One string per digest: the same digest turns up in many links and manifests, and on a 175k-blob
   * tree the copies alone would be tens of MB.
   */
  private readonly interned = new Map<string, Digest>();
  private readonly progress: StorageReadProgress = {
    phase: "repositories",
    done: 0,
    repositories: 0,
    repositoriesTotal: 0,
    files: 0,
  };

  private readonly scans: StoreLayoutScans;

  constructor(
    private readonly store: Store,
    private readonly options: Omit<ReadStorageOptions, "ioThreads">,
  ) {
    this.scans = layoutScans(store);
  }

  async read(): Promise<Inventory> {
    const readAtMs = Date.now();
    const names = await this.findRepositories();
    this.progress.repositoriesTotal = this.progress.total = names.length;
    this.report();
    const repositories = (
      await mapLimited(chunks(names, REPOSITORIES_PER_ROUND), ROUNDS_IN_FLIGHT, async (round) => {
        this.checkpoint();
        const read = await this.readRepositories(round);
        this.progress.repositories = this.progress.done += round.length;
        this.report();
        return read;
      })
    ).flat();
    const blobs = await this.readBlobs();
    const manifests = await this.readManifests(repositories, blobs);
    this.checkpoint();
    const placeholders = await this.readPlaceholders(blobs, manifests);
    const multipartUploads = await readMultipartUploads(this.store);
    this.checkpoint();
    this.crossCheck(repositories, blobs);
    const byPath = (a: Finding, b: Finding) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : a.code.localeCompare(b.code);
    return {
      backend: "storage",
      source: this.store.location,
      readAtMs,
      repositories,
      blobs,
      manifests,
      findings: this.findings.sort(byPath),
      emptyDirs: this.emptyDirs.sort(),
      skeletonDirs: this.skeletonDirs.sort(),
      placeholders,
      strays: this.strays.sort(),
      ...(multipartUploads ? { multipartUploads } : {}),
      ...(this.unreadLinks.length > 0
        ? { unreadLinks: this.unreadLinks.sort((a, b) => (a.folder < b.folder ? -1 : 1)) }
        : {}),
    };
  }

  /**
   * regsweep's placeholder manifests and configs (see `placeholder.ts`): those a manifest names, and orphan
   * blobs of a placeholder's exact size whose content is one (few blobs have those sizes; only they are read).
   */
  private async readPlaceholders(
    blobs: Map<Digest, BlobInfo>,
    manifests: Map<Digest, ManifestInfo | ManifestProblem>,
  ): Promise<Set<Digest>> {
    const found = new Set<Digest>();
    for (const [digest, m] of manifests) {
      if (!isManifestProblem(m) && isPlaceholderManifest(m)) {
        found.add(digest);
        if (m.config) found.add(m.config);
      }
    }
    const candidates = [...blobs]
      .filter(([digest, b]) => mayBePlaceholderBlob(b.size) && !manifests.has(digest) && !found.has(digest))
      .map(([digest]) => digest);
    const pathOf = (digest: Digest) => pathFor({ kind: "blob-data", digest });
    for (let start = 0; start < candidates.length; start += MANIFEST_CHUNK) {
      const chunk = candidates.slice(start, start + MANIFEST_CHUNK);
      const bodies = await this.store.read(chunk.map(pathOf));
      bodies.forEach((body, i) => {
        const digest = chunk[i] as Digest;
        const bytes = settled(this.store, body, pathOf(digest));
        if (bytes && isPlaceholderBlob(bytes)) found.add(digest);
      });
    }
    return found;
  }

  private report(phase?: StorageReadProgress["phase"], done?: number, total?: number): void {
    if (!this.options.onProgress) return;
    if (phase !== undefined) {
      this.progress.phase = phase;
      this.progress.done = done ?? 0;
      this.progress.total = total;
    }
    this.options.onProgress(this.progress);
  }

  /** Between rounds: stop here when the run is interrupted (see `ReadStorageOptions.signal`). */
  private checkpoint(): void {
    if (this.options.signal?.aborted) throw new ReadInterruptedError(this.store.location);
  }

  private intern<T extends string>(digest: T): T {
    const known = this.interned.get(digest);
    if (known !== undefined) return known as T;
    this.interned.set(digest, digest as unknown as Digest);
    return digest;
  }

  /**
   * An entry that is not a folder where only folders (or only known files) belong: a finding, kept; and
   * taken along when regsweep removes the folder holding it (a `.DS_Store` in a deleted tag's folder).
   */
  private stray(path: string, kind: StoreEntryKind, where: string, repository?: string): void {
    this.findings.push({
      code: kind === "symlink" ? "entry.symlink" : "entry.unexpected",
      path,
      ...(repository !== undefined ? { repository } : {}),
      detail: `${kind === "symlink" ? "symbolic link" : kind === "file" ? "file" : "special file"} ${where} (kept, never followed)`,
    });
    this.strays.push(path);
  }

  /** A folder with a name the layout does not have there: a finding, kept with what it holds. */
  private oddFolder(path: string, where: string, repository?: string): void {
    this.findings.push({
      code: "entry.unexpected",
      path,
      ...(repository !== undefined ? { repository } : {}),
      detail: `folder ${where}: kept`,
    });
  }

  /** Each folder's entries; a folder that is gone (or is a file) has none. */
  private async list(dirs: string[]): Promise<StoreEntry[][]> {
    const listings = await this.store.list(dirs);
    return listings.map((l, i) => settled(this.store, l, dirs[i] as string) ?? []);
  }

  /**
   * `list`, noting a folder that is there and empty (a repository's skeleton the registry made: what
   * deleting the repository removes, and only if it is there, so a second run plans nothing).
   */
  private async listNotingEmpty(dirs: string[]): Promise<StoreEntry[][]> {
    const listings = await this.store.list(dirs);
    return listings.map((l, i) => {
      const entries = settled(this.store, l, dirs[i] as string);
      if (entries?.length === 0) this.skeletonDirs.push(dirs[i] as string);
      return entries ?? [];
    });
  }

  /** Each tags folder with its tag folders (see `TagTreeScan`), noting one that is there and empty. */
  private async scanTagTrees(dirs: string[]): Promise<TagTreeScan[]> {
    const scans = await this.scans.scanTagTrees(dirs);
    return scans.map((outcome, i) => {
      const scan = settled(this.store, outcome, dirs[i] as string);
      if (scan?.entries.length === 0) this.skeletonDirs.push(dirs[i] as string);
      return scan ?? { entries: [], tags: new Map() };
    });
  }

  /** Repository names, with what the walk meets on the way as findings. */
  private async findRepositories(): Promise<string[]> {
    const found = await findRepositories(this.store, {
      stray: (path, kind) => this.stray(path, kind, "where repository folders belong"),
      odd: (path, why) =>
        this.findings.push({
          code: "entry.unexpected",
          path,
          detail:
            why === "name"
              ? "folder name outside the repository grammar: kept with everything in it"
              : "folder a repository does not hold: kept",
        }),
      unreadable: (path, code) =>
        this.findings.push({
          code: "entry.unreadable",
          path,
          detail: `folder outside the repository grammar that cannot be listed (${code}): kept`,
        }),
      empty: (dir) => this.emptyDirs.push(dir),
    });
    return found.map((r) => r.name);
  }

  /**
   * Reads `<alg>/<hex>/link` folders under each of `roots`; a folder without `link` is absent (as
   * `linkedblobstore.go` sees it). One list of links per root, sorted by digest.
   */
  private async readLinkSets(
    roots: Array<{ dir: string; repository: string }>,
    options: LinkSetOptions = {},
  ): Promise<DigestLink[][]> {
    return this.linkSets(roots, await this.scans.scanLinkTrees(roots.map((r) => r.dir)), options);
  }

  /** `readLinkSets` of scans already made (a tag's index comes with its tags folder's scan). */
  private linkSets(
    roots: Array<{ dir: string; repository: string }>,
    scans: Array<StoreOutcome<LinkTreeScan> | undefined>,
    options: LinkSetOptions = {},
  ): DigestLink[][] {
    const subfolders = options.subfolders ?? NO_SUBFOLDERS;
    return scans.map((outcome, set) => {
      const { dir: root, repository } = roots[set] as { dir: string; repository: string };
      const links: DigestLink[] = [];
      const scan = settled(this.store, outcome, root);
      if (options.noteEmptyRoot && scan?.algorithms.length === 0 && (scan.others?.length ?? 0) === 0)
        this.skeletonDirs.push(root);
      for (const [name, kind] of scan?.others ?? [])
        this.stray(`${root}/${name}`, kind, "where <algorithm> folders belong", repository);
      for (const alg of scan?.algorithms ?? []) {
        const algDir = `${root}/${alg.name}`;
        if (alg.entries.length === 0) this.emptyDirs.push(algDir);
        const extras = groupExtras(alg.extras);
        alg.entries.forEach((hex, i) => {
          const digest = `${alg.name}:${hex}`;
          const kind = alg.kinds[i];
          if (kind !== "d") {
            const entryKind = kind === "s" ? "symlink" : kind === "f" ? "file" : "other";
            this.stray(
              `${algDir}/${hex}`,
              entryKind,
              "where <algorithm>/<hex> link folders belong",
              repository,
            );
            return;
          }
          if (!isDigest(digest)) {
            this.oddFolder(`${algDir}/${hex}`, "not a <algorithm>/<hex> link folder", repository);
            return;
          }
          for (const [name, kind] of extras.get(i) ?? [])
            this.besideLink(`${algDir}/${hex}`, name, kind, "link", subfolders, repository);
          const state = alg.links[i];
          if (state === "E") this.emptyDirs.push(`${algDir}/${hex}`);
          if (state === "N" && options.unlinkedHolding) {
            const holds = (extras.get(i) ?? []).some(
              ([name, kind]) => kind === "dir" && subfolders.has(name),
            );
            if (holds) options.unlinkedHolding(`${algDir}/${hex}`, repository);
          }
          if (state !== "L") return;
          const text = alg.texts[i] as string;
          if (text !== digest) {
            this.findings.push({
              code: "link.invalid",
              path: `${algDir}/${hex}/link`,
              repository,
              digest,
              detail: `link says '${text.slice(0, 80)}', its folder says ${digest}`,
            });
          }
          links.push({
            digest: this.intern(digest),
            mtimeMs: alg.mtimes[i] as number,
            orderKey: alg.order[i] as number,
            // A scan without extras says nothing about subfolders: look.
            mayHoldSubfolders:
              alg.extras === undefined ||
              (extras.get(i) ?? []).some(([name, kind]) => kind === "dir" && subfolders.has(name)),
          });
        });
      }
      this.progress.files += links.length;
      return links.sort((a, b) => (a.digest < b.digest ? -1 : 1));
    });
  }

  /**
   * An entry inside a link or blob folder besides its `link` (`data`): a `link` that is not a regular file
   * is a finding (never followed, never removed); a folder is kept with what it holds (unless it is one the
   * layout has there); anything else is a stray, kept, and removed with the folder when a plan removes it.
   */
  private besideLink(
    folder: string,
    name: string,
    kind: StoreEntryKind,
    own: "link" | "data",
    subfolders: ReadonlySet<string>,
    repository?: string,
  ): void {
    const path = `${folder}/${name}`;
    const where =
      own === "link" ? "in a link folder, which holds only link" : "in a blob folder, which holds only data";
    if (name === own) {
      this.findings.push({
        code: kind === "symlink" ? "entry.symlink" : "entry.unexpected",
        path,
        ...(repository !== undefined ? { repository } : {}),
        detail: `${own} is not a regular file (kept, never followed): the folder ${own === "link" ? "links nothing" : "holds no blob"}`,
      });
    } else if (kind === "dir") {
      if (!subfolders.has(name)) this.oddFolder(path, where, repository);
    } else this.stray(path, kind, where, repository);
  }

  /** Reads `names`' repositories (also apply's re-read: see `rereadRepositories`). */
  async readRepositories(names: string[]): Promise<RepositoryInventory[]> {
    const folders = (kind: "revisions-dir" | "layers-dir" | "tags-dir" | "uploads-dir" | "manifests-dir") =>
      names.map((repository) => ({ dir: folderFor({ kind, repository }), repository }));
    // Revision folders without their link that still hold signatures (an API delete of a schema1 manifest).
    const unlinked: Array<{ dir: string; repository: string }> = [];
    const [revisionSets, layerSets, tagLists, uploadLists, manifestsLists] = await Promise.all([
      this.readLinkSets(folders("revisions-dir"), {
        subfolders: REVISION_SUBFOLDERS,
        noteEmptyRoot: true,
        unlinkedHolding: (dir, repository) => unlinked.push({ dir, repository }),
      }),
      this.readLinkSets(folders("layers-dir"), { noteEmptyRoot: true }),
      this.scanTagTrees(folders("tags-dir").map((u) => u.dir)),
      this.listNotingEmpty(folders("uploads-dir").map((u) => u.dir)),
      this.listNotingEmpty(folders("manifests-dir").map((u) => u.dir)),
    ]);
    manifestsLists.forEach((list, r) => {
      const repository = names[r] as string;
      this.expectFolders(
        list,
        folderFor({ kind: "manifests-dir", repository }),
        MANIFESTS_ENTRIES,
        repository,
      );
    });

    // Second level: what hangs below revisions (schema1 signatures), tags and uploads.
    const revisions = revisionSets.flatMap((links, r) => links.map((link) => ({ r, link })));
    const signed = revisions.filter(({ link }) => link.mayHoldSubfolders);
    const tags = tagLists.flatMap((scan, r) => {
      const repository = names[r] as string;
      return scan.entries.flatMap(({ name: tag, kind }, e) => {
        const dir = `${folderFor({ kind: "tags-dir", repository })}/${tag}`;
        const inside = scan.tags.get(e);
        if (kind !== "dir") this.stray(dir, kind, "where tag folders belong", repository);
        else if (!isTag(tag)) this.oddFolder(dir, "name outside the tag grammar", repository);
        else if (inside) return [{ r, tag, repository, inside }];
        return [];
      });
    });
    const uploads = uploadLists.flatMap((list, r) => {
      const repository = names[r] as string;
      return list.flatMap(({ name: id, kind }) => {
        if (kind === "dir") return [{ r, id, repository }];
        this.stray(
          `${folderFor({ kind: "uploads-dir", repository })}/${id}`,
          kind,
          "where upload folders belong",
          repository,
        );
        return [];
      });
    });
    const uploadFile = (kind: "upload-data" | "upload-startedat", u: (typeof uploads)[number]) =>
      folderFor({ kind, repository: u.repository, upload: u.id });
    const tagDir = (t: (typeof tags)[number]) =>
      pathFor({ kind: "tag-dir", repository: t.repository, tag: t.tag });
    const [signatureSets, unreadSignatureSets, currentLinks, startedAts, uploadData, uploadDirs] =
      await Promise.all([
        this.readLinkSets(
          signed.map(({ r, link }) => {
            const repository = names[r] as string;
            return {
              dir: folderFor({ kind: "signatures-dir", repository, digest: link.digest }),
              repository,
            };
          }),
        ),
        this.readLinkSets(unlinked.map(({ dir, repository }) => ({ dir: `${dir}/signatures`, repository }))),
        this.store.readSmall(tags.map((t) => pathFor({ kind: "tag-current-link", ...t }))),
        this.store.readSmall(uploads.map((u) => uploadFile("upload-startedat", u))),
        this.store.stat(uploads.map((u) => uploadFile("upload-data", u))),
        this.store.stat(
          uploads.map((u) => pathFor({ kind: "upload-dir", repository: u.repository, upload: u.id })),
        ),
      ]);

    const indexSets = this.linkSets(
      tags.map((t) => ({ dir: folderFor({ kind: "tag-index-dir", ...t }), repository: t.repository })),
      tags.map((t) => t.inside.index),
    );
    this.progress.files += tags.length + 2 * uploads.length;
    const repositories: RepositoryInventory[] = names.map((name, r) => ({
      name,
      tags: [],
      revisions: [],
      layers: (layerSets[r] ?? []).map((l) => ({
        digest: l.digest,
        linkedAtMs: l.mtimeMs,
        orderKey: l.orderKey,
      })),
      uploads: [],
    }));
    const signaturesOf = new Map(signed.map(({ link }, i) => [link, signatureSets[i] ?? []]));
    unlinked.forEach(({ dir, repository }, i) => {
      const digests = (unreadSignatureSets[i] ?? []).map((l) => l.digest);
      if (digests.length === 0) return;
      this.unreadLinks.push({ repository, folder: dir, digests });
      this.findings.push({
        code: "link.unread",
        path: dir,
        repository,
        detail: `signature links below a revision folder without its own link name ${digests.length} blob${digests.length === 1 ? "" : "s"}, kept (a schema1 manifest deleted through the API leaves this on 2.x): ${UNREAD_FIX}`,
      });
    });
    revisions.forEach(({ r, link }) => {
      repositories[r]?.revisions.push({
        digest: link.digest,
        linkedAtMs: link.mtimeMs,
        orderKey: link.orderKey,
        signatures: (signaturesOf.get(link) ?? []).map((s) => s.digest),
      });
    });
    tags.forEach((t, i) => {
      const { r, tag, repository } = t;
      // `current` and `index` count only as real folders: what a symbolic link leads to is never used.
      const inTag = settled(this.store, t.inside.entries, tagDir(t)) ?? [];
      const inCurrent = settled(this.store, t.inside.current, `${tagDir(t)}/current`) ?? [];
      const folders = this.expectFolders(inTag, tagDir(t), TAG_ENTRIES, repository);
      this.expectFiles(inCurrent, `${tagDir(t)}/current`, ["link"], repository);
      const path = pathFor({ kind: "tag-current-link", repository, tag });
      const current = folders.has("current") ? settled(this.store, currentLinks[i], path) : undefined;
      const text = current?.text?.trim();
      const info: TagInfo = {
        name: tag,
        index: folders.has("index") ? (indexSets[i] ?? []).map((l) => l.digest) : [],
      };
      if (current && text !== undefined && isDigest(text)) {
        info.current = this.intern(text);
        info.pushedAtMs = current.mtimeMs;
      } else {
        this.findings.push({
          code: text !== undefined ? "link.invalid" : "tag.no-current",
          path,
          repository: names[r],
          detail:
            text !== undefined
              ? `current link holds '${text.slice(0, 80)}'`
              : `tag '${tag}' has no current link`,
        });
      }
      repositories[r]?.tags.push(info);
    });
    uploads.forEach((u, i) => {
      const { r, id } = u;
      const startedAt = settled(this.store, startedAts[i], uploadFile("upload-startedat", u))?.text;
      const parsed = startedAt === undefined ? Number.NaN : Date.parse(startedAt.trim());
      const data = settled(this.store, uploadData[i], uploadFile("upload-data", u));
      const folder = settled(
        this.store,
        uploadDirs[i],
        pathFor({ kind: "upload-dir", repository: u.repository, upload: id }),
      );
      const upload: UploadInfo = {
        id,
        startedAtMs: Number.isFinite(parsed) ? parsed : (folder?.mtimeMs ?? Date.now()),
        bytes: data?.size ?? 0,
      };
      repositories[r]?.uploads.push(upload);
    });
    for (const repo of repositories) {
      repo.tags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      repo.uploads.sort((a, b) => a.id.localeCompare(b.id));
    }
    return repositories;
  }

  /** Checks a folder that holds only the folders `known`; returns those of them that are real folders. */
  private expectFolders(
    entries: StoreEntry[],
    dir: string,
    known: ReadonlySet<string>,
    repository: string,
  ): Set<string> {
    const folders = new Set<string>();
    const names = [...known].join(", ");
    for (const { name, kind } of entries) {
      if (kind !== "dir") this.stray(`${dir}/${name}`, kind, `where only ${names} belong`, repository);
      else if (known.has(name)) folders.add(name);
      else this.oddFolder(`${dir}/${name}`, `where only ${names} belong`, repository);
    }
    return folders;
  }

  /** Checks a folder that holds only the files `known`. */
  private expectFiles(entries: StoreEntry[], dir: string, known: string[], repository: string): void {
    const names = known.join(", ");
    for (const { name, kind } of entries) {
      if (kind === "dir") this.oddFolder(`${dir}/${name}`, `where only ${names} belong`, repository);
      else if (!known.includes(name))
        this.stray(`${dir}/${name}`, kind, `where only ${names} belong`, repository);
    }
  }

  /** `blobs/<alg>/<2 hex>/<hex>/data`: size and mtime of each. */
  private async readBlobs(): Promise<Map<Digest, BlobInfo>> {
    const algDirs: Array<{ alg: string; dir: string }> = [];
    for (const { name: alg, kind } of (await this.list([BLOBS_ROOT]))[0] ?? []) {
      const dir = `${BLOBS_ROOT}/${alg}`;
      if (kind !== "dir") this.notABlobFolder(dir, kind);
      else if (alg !== "sha256" && alg !== "sha512") this.oddFolder(dir, "not a digest algorithm");
      else algDirs.push({ alg, dir });
    }
    const prefixes: Array<{ alg: string; prefix: string; dir: string }> = [];
    (await this.list(algDirs.map((a) => a.dir))).forEach((list, i) => {
      const { alg, dir } = algDirs[i] as (typeof algDirs)[number];
      for (const { name: prefix, kind } of list) {
        if (kind !== "dir") this.notABlobFolder(`${dir}/${prefix}`, kind);
        else if (!/^[a-f0-9]{2}$/.test(prefix))
          this.oddFolder(`${dir}/${prefix}`, "not a two-hex blob prefix");
        else prefixes.push({ alg, prefix, dir: `${dir}/${prefix}` });
      }
    });
    const blobs = new Map<Digest, BlobInfo>();
    this.report("blobs");
    await forEachLimited(chunks(prefixes, BLOB_PREFIXES_PER_ROUND), ROUNDS_IN_FLIGHT, async (round) => {
      this.checkpoint();
      await this.readBlobRound(round, blobs);
      this.progress.done = blobs.size;
      this.report();
    });
    return blobs;
  }

  private async readBlobRound(
    prefixes: Array<{ alg: string; prefix: string; dir: string }>,
    blobs: Map<Digest, BlobInfo>,
  ): Promise<void> {
    const scans = await this.scans.scanBlobFolders(prefixes.map((p) => p.dir));
    scans.forEach((outcome, p) => {
      const { alg, prefix, dir } = prefixes[p] as (typeof prefixes)[number];
      const scan = settled(this.store, outcome, dir);
      if (!scan) return;
      if (scan.entries.length === 0) this.emptyDirs.push(dir);
      this.progress.files += scan.entries.length;
      const extras = groupExtras(scan.extras);
      scan.entries.forEach((hex, i) => {
        const digest = `${alg}:${hex}`;
        const kind = scan.kinds[i];
        if (kind !== "d") {
          this.notABlobFolder(`${dir}/${hex}`, kind === "s" ? "symlink" : kind === "f" ? "file" : "other");
          return;
        }
        if (!isDigest(digest) || !hex.startsWith(prefix)) {
          this.oddFolder(`${dir}/${hex}`, "not a blob folder");
          return;
        }
        for (const [name, kind] of extras.get(i) ?? [])
          this.besideLink(`${dir}/${hex}`, name, kind, "data", NO_SUBFOLDERS);
        switch (scan.data[i]) {
          case "F":
            blobs.set(this.intern(digest), {
              size: scan.sizes[i] as number,
              modifiedAtMs: scan.mtimes[i] as number,
              orderKey: scan.order[i] as number,
            });
            break;
          case "E":
            this.emptyDirs.push(`${dir}/${hex}`);
            break;
          case "S":
          case "O":
            this.findings.push({
              code: scan.data[i] === "S" ? "entry.symlink" : "entry.unexpected",
              path: `${dir}/${hex}/data`,
              digest,
              detail: "blob data is not a regular file (kept, never followed)",
            });
            break;
        }
      });
    });
  }

  /**
   * An entry that is not a folder among blob folders. A file is a stray; a symbolic link is kept even when a
   * prune empties its folder: named like a blob folder, it may be what a registry serves a kept blob from.
   */
  private notABlobFolder(path: string, kind: StoreEntryKind): void {
    if (kind === "file") {
      this.stray(path, kind, "where blob folders belong");
      return;
    }
    this.findings.push({
      code: kind === "symlink" ? "entry.symlink" : "entry.unexpected",
      path,
      detail: `${kind === "symlink" ? "symbolic link" : "special file"} where blob folders belong (kept, never followed)`,
    });
  }

  /**
   * Every digest a repository says is a manifest (revisions, and what tags point at), read and parsed.
   * Only regular blob files are read (a symbolic link is a finding, never followed); the others are
   * reported as missing by `crossCheck`.
   */
  private async readManifests(
    repositories: RepositoryInventory[],
    blobs: Map<Digest, BlobInfo>,
  ): Promise<Map<Digest, ManifestInfo | ManifestProblem>> {
    const wanted = new Set<Digest>();
    for (const repo of repositories) {
      for (const r of repo.revisions) if (blobs.has(r.digest)) wanted.add(r.digest);
      for (const t of repo.tags) if (t.current && blobs.has(t.current)) wanted.add(t.current);
    }
    const digests = [...wanted];
    const pathOf = (digest: Digest) => pathFor({ kind: "blob-data", digest });
    const readChunk = (start: number) =>
      this.store.read(digests.slice(start, start + MANIFEST_CHUNK).map(pathOf));
    const manifests = new Map<Digest, ManifestInfo | ManifestProblem>();
    this.report("manifests", 0, digests.length);
    // The next chunk is read while this one is parsed.
    let reading = readChunk(0);
    for (let start = 0; start < digests.length; start += MANIFEST_CHUNK) {
      const bodies = await reading;
      this.checkpoint();
      reading = readChunk(start + MANIFEST_CHUNK);
      bodies.forEach((body, i) => {
        const digest = digests[start + i] as Digest;
        const path = pathOf(digest);
        const bytes = settled(this.store, body, path);
        if (!bytes) return; // reported as manifest.missing, per repository (crossCheck)
        const parsed = this.internManifest(parseManifest(bytes, digest));
        manifests.set(digest, parsed);
        if (isManifestProblem(parsed)) {
          this.findings.push({
            code: "manifest.corrupt",
            path,
            digest,
            detail: `${parsed.problem}: ${parsed.detail}`,
          });
        } else if (parsed.kind === "unknown") {
          this.findings.push({
            code: "manifest.unknown-type",
            path,
            digest,
            detail: `media type '${parsed.mediaType}' is not one regsweep knows; kept with everything it names`,
          });
        }
      });
      this.progress.done += bodies.length;
      this.progress.files += bodies.length;
      this.report();
    }
    await reading;
    return manifests;
  }

  private internManifest(m: ManifestInfo | ManifestProblem): ManifestInfo | ManifestProblem {
    if (isManifestProblem(m)) return m;
    m.blobs = m.blobs.map((d) => this.intern(d));
    m.children = m.children.map((d) => this.intern(d));
    if (m.subject) m.subject = this.intern(m.subject);
    if (m.config) m.config = this.intern(m.config);
    return m;
  }

  /** Links that name what is not there. */
  private crossCheck(repositories: RepositoryInventory[], blobs: Map<Digest, BlobInfo>): void {
    for (const repo of repositories) {
      const repository = repo.name;
      const revisions = new Set(repo.revisions.map((r) => r.digest));
      for (const { digest } of repo.revisions) {
        if (blobs.has(digest)) continue;
        this.findings.push({
          code: "manifest.missing",
          path: pathFor({ kind: "revision-link", repository, digest }),
          repository,
          digest,
          detail: "revision link names a manifest whose blob data is missing",
        });
      }
      for (const { name: tag, current } of repo.tags) {
        if (!current || revisions.has(current)) continue;
        this.findings.push({
          code: "tag.broken",
          path: pathFor({ kind: "tag-current-link", repository, tag }),
          repository,
          digest: current,
          detail: `tag '${tag}' points at ${current}, which is not a revision of the repository`,
        });
      }
      for (const { digest } of repo.layers) {
        if (blobs.has(digest)) continue;
        this.findings.push({
          code: "link.dangling",
          path: pathFor({ kind: "layer-link", repository, digest }),
          repository,
          digest,
          detail: "layer link names a blob whose data is missing",
        });
      }
    }
  }
}
