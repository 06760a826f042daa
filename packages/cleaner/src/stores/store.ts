/**
 * The store interface: what regsweep needs from wherever a registry keeps its files, and nothing about
 * registries. Modelled on distribution's `registry/storage/driver/storagedriver.go` (GetContent, PutContent,
 * Stat, List, Walk, Delete): registry-shaped work (paths, links, manifests) lives above it, in
 * `storage-paths` and the storage engine. Filesystem today (`stores/fs/`), object storage next.
 *
 * Paths are store-relative, `/`-separated, without a leading `/` (what `pathFor` returns, e.g.
 * `docker/registry/v2/blobs/sha256/ab/ab…/data`); a store maps them onto its root (a folder, a bucket and
 * prefix). Operations take batches and answer in input order: the filesystem store spreads a batch over
 * its I/O threads, an object store over concurrent requests. A path that is not there is `{ missing: true }`
 * and any other failure `{ failed: true, … }` — never a throw, so one bad entry never hides the rest; a
 * store throws only when it cannot answer at all (closed, its threads died).
 */

/** What an entry is, never following a symbolic link. Object stores have only files and folders (prefixes). */
export type StoreEntryKind = "file" | "dir" | "symlink" | "other";

/** A failure other than the path being gone; `code` is the store's own (an errno name, an S3 error code). */
export interface StoreFailure {
  failed: true;
  code: string;
  message: string;
  /** Where it happened, named as an operator finds it (what `describe` gives), "" when unknown. */
  path: string;
  /** Worth trying again later (throttled, timed out): the rest of the work goes on, the item is reported. */
  temporary?: boolean;
  /** The server refused it as one request too many (503 SlowDown, 429), through every retry. */
  throttled?: boolean;
}

/** A path that is not there. */
export interface StoreMissing {
  missing: true;
}

/** The answer for one input of a batch. */
export type StoreOutcome<T> = T | StoreFailure | StoreMissing;

/** What `stat` says about a path. */
export interface StoreStat {
  kind: StoreEntryKind;
  size: number;
  mtimeMs: number;
}

/** A small file read whole (links, `startedat`), or only its kind when it is not a regular file. */
export interface StoreSmallFile extends StoreStat {
  text?: string;
}

/** One entry of a folder listing. */
export interface StoreEntry {
  name: string;
  kind: StoreEntryKind;
}

/** One file met by `walk`, with what the listing already says about it. */
export interface StoreWalkEntry {
  /** Store-relative path. */
  path: string;
  kind: StoreEntryKind;
  /** Present when the store's listing carries it (`capabilities.listingHasInfo`). */
  size?: number;
  mtimeMs?: number;
}

/**
 * What to delete for one plan action: its files, then — on a store with folders — the folders from each
 * file's folder up to and including `upTo` that are left empty (only `upTo` when there are no files). A
 * store without folders deletes the files and ignores `upTo`.
 */
export interface StoreDeleteJob {
  files: readonly string[];
  upTo: string;
  /**
   * Stray entries seen at planning (a `.DS_Store`, a symbolic link), removed so that their folder can go:
   * only when they are all it holds once the files are gone (otherwise they stay with it); one that is a
   * folder by now is left alone.
   */
  strays?: readonly string[];
}

/** What one delete job or prefix delete removed (a job that removed nothing found it already gone). */
export interface StoreDeleted {
  files: number;
  dirs: number;
}

/**
 * Inputs made one at a time, only as their batch goes out (long delete runs would otherwise hold every job
 * at once and feed the old generation).
 */
export interface LazyInputs<T> {
  length: number;
  at(index: number): T;
}

/** Options of one batched call. */
export interface StoreCallOptions<R> {
  /** Once aborted, batches not yet started are not run (their results are `undefined`). */
  signal?: AbortSignal;
  /** Called as each batch comes back, with the index of its first input (progress, journaling). */
  onBatch?: (start: number, results: Array<StoreOutcome<R>>) => void;
}

/** What a store can do, so that callers choose without asking what technology it is. */
export interface StoreCapabilities {
  /** Folders exist on their own (and can be left empty): empty-folder findings and prunes make sense. */
  folders: boolean;
  /** Symbolic links exist (and are never followed). */
  symlinks: boolean;
  /** `walk` entries carry size and mtime (object listings do; a filesystem needs a stat per file). */
  listingHasInfo: boolean;
  /** `putExclusive` is atomic against another writer (a real lock); otherwise best effort. */
  atomicExclusive: boolean;
}

/**
 * `<alg>/<hex>/link` trees scanned in one go (a repository's revisions or layers, a tag's index, a
 * revision's signatures), in columns: thousands of links cost a few arrays, not thousands of objects.
 */
export interface LinkTreeScan {
  /** Entries of the tree's own folder that are not folders (a `.DS_Store`, a symbolic link), if the store sees them. */
  others?: Array<[string, StoreEntryKind]>;
  algorithms: Array<{
    name: string;
    /** Entry names under `<alg>/`. */
    entries: string[];
    /** Per entry, its kind's first letter: f(ile), d(ir), s(ymlink), o(ther). */
    kinds: string;
    /**
     * Per entry: L its link file was read, E no link and the folder is empty, N no link and the folder holds
     * something, - not a folder.
     */
    links: string;
    /** Link text (trimmed) per entry, "" without one. */
    texts: string[];
    /** Link mtime per entry, 0 without one. */
    mtimes: Float64Array;
    /** The store's preferred deletion order of each link (see `StoreOrderKey`), 0 without one. */
    order: Float64Array;
    /**
     * What an entry's folder holds besides its `link` file, as `[entry, name, kind]` (a `link.orig`, a
     * `signatures` folder, a `link` that is not a regular file), if the store sees it; rare, so listed sparsely.
     */
    extras?: Array<[number, string, StoreEntryKind]>;
  }>;
}

/** One `blobs/<alg>/<2 hex>/` folder scanned in one go, in columns like `LinkTreeScan`. */
export interface BlobFolderScan {
  entries: string[];
  kinds: string;
  /** Per entry: F data is a file, S a symlink, O something else, E no data and empty, N no data, - not a folder. */
  data: string;
  sizes: Float64Array;
  mtimes: Float64Array;
  /** The store's preferred deletion order of each data file, 0 without one. */
  order: Float64Array;
  /** What a blob's folder holds besides `data`, as `[entry, name, kind]` (a `data.tmp`), if the store sees it. */
  extras?: Array<[number, string, StoreEntryKind]>;
}

/** One tag folder of a `TagTreeScan`: each answer as listing (or scanning) that path would give it. */
export interface TagFolderScan {
  /** `<tag>/` (`current`, `index`, and whatever else is there). */
  entries: StoreOutcome<StoreEntry[]>;
  /** `<tag>/current/`. */
  current: StoreOutcome<StoreEntry[]>;
  /** `<tag>/index/`, the tag's history, as `scanLinkTrees` gives it. */
  index: StoreOutcome<LinkTreeScan>;
}

/** A repository's `_manifests/tags/` scanned in one go (one listing for all its tags, on object storage). */
export interface TagTreeScan {
  /** The folder's own entries, as `list` gives them. */
  entries: StoreEntry[];
  /** By the index of each entry that is a folder: what that tag folder holds. */
  tags: Map<number, TagFolderScan>;
}

/**
 * A number per file by which deleting goes fastest (the filesystem store: inode numbers, so removals walk
 * the inode table in order). Opaque above the store: the planner only sorts by it; 0 means "no preference".
 */
export type StoreOrderKey = number;

/**
 * Fast paths a store may offer for the registry layout. Callers use one when present and fall back to
 * `list`/`readSmall`/`stat` otherwise; the answers must be the same either way (the contract suite checks).
 */
export interface StoreLayoutScans {
  /** Each root's `<alg>/<hex>/link` tree; a root that is gone is `{ missing: true }`. */
  scanLinkTrees(
    roots: readonly string[],
    options?: StoreCallOptions<LinkTreeScan>,
  ): Promise<Array<StoreOutcome<LinkTreeScan> | undefined>>;
  /** Each `_manifests/tags/` folder with every tag folder in it; a folder that is gone is `{ missing: true }`. */
  scanTagTrees(
    dirs: readonly string[],
    options?: StoreCallOptions<TagTreeScan>,
  ): Promise<Array<StoreOutcome<TagTreeScan> | undefined>>;
  /** Each `blobs/<alg>/<2 hex>/` folder: every blob's data kind, size, mtime and order key. */
  scanBlobFolders(
    dirs: readonly string[],
    options?: StoreCallOptions<BlobFolderScan>,
  ): Promise<Array<StoreOutcome<BlobFolderScan> | undefined>>;
}

/** A multipart upload an object store holds (the parts of a blob upload in `_uploads`). */
export interface StoreMultipartUpload {
  /** Store-relative path of the object it would become. */
  path: string;
  uploadId: string;
  initiatedMs: number;
}

/** Where a registry's files are: the operations of distribution's storage drivers, batched. */
export interface Store {
  /** What to name it in messages and plans (a folder, `s3://bucket/prefix`). */
  readonly location: string;
  readonly capabilities: StoreCapabilities;
  /** Layout scans, when the store has a faster way than listing and reading (optional). */
  readonly scans?: StoreLayoutScans;

  /** A store-relative path as an operator finds it (an absolute file path, `s3://bucket/key`), for messages. */
  describe(path: string): string;

  /** Entries of each folder (prefix), with their kinds; a folder that is not there is `{ missing: true }`. */
  list(
    dirs: readonly string[],
    options?: StoreCallOptions<StoreEntry[]>,
  ): Promise<Array<StoreOutcome<StoreEntry[]> | undefined>>;
  /**
   * Every file below a prefix (recursively; folders are not entries), in batches of the store's choosing,
   * in no particular order. A prefix that is not there yields nothing.
   */
  walk(prefix: string, options?: { signal?: AbortSignal }): AsyncIterable<StoreWalkEntry[]>;
  /** Kind, size and mtime of each path, never following a symbolic link. */
  stat(
    paths: readonly string[],
    options?: StoreCallOptions<StoreStat>,
  ): Promise<Array<StoreOutcome<StoreStat> | undefined>>;
  /** Kind, size, mtime and, for a regular file, its text (links, `startedat`); never follows a symlink. */
  readSmall(
    paths: readonly string[],
    options?: StoreCallOptions<StoreSmallFile>,
  ): Promise<Array<StoreOutcome<StoreSmallFile> | undefined>>;
  /** Whole files (manifests). */
  read(
    paths: readonly string[],
    options?: StoreCallOptions<Uint8Array>,
  ): Promise<Array<StoreOutcome<Uint8Array> | undefined>>;
  /** One file as a stream of chunks (blob data for digest checks, a journaled plan); throws `storage.io`. */
  readStream(path: string): AsyncIterable<Uint8Array>;

  /**
   * Deletes each job's files (see `StoreDeleteJob`), results only through `onBatch` (none are kept: a
   * 300k-action phase would hold them all), in input order within a batch; batches run at once and may come
   * back in any order (the jobs of one call are independent). Inputs may be lazy.
   */
  delete(
    jobs: readonly StoreDeleteJob[] | LazyInputs<StoreDeleteJob>,
    options: StoreCallOptions<StoreDeleted> & {
      onBatch: NonNullable<StoreCallOptions<StoreDeleted>["onBatch"]>;
    },
  ): Promise<void>;
  /**
   * Deletes everything below each prefix, the prefix's folder too (upload folders); a path that is a file
   * is left and counts nothing. Results only through `onBatch`, like `delete`.
   */
  deletePrefix(
    prefixes: readonly string[] | LazyInputs<string>,
    options: StoreCallOptions<StoreDeleted> & {
      onBatch: NonNullable<StoreCallOptions<StoreDeleted>["onBatch"]>;
    },
  ): Promise<void>;

  /**
   * Writes a file whole, replacing it (the journal's plan and hash). Content comes in pieces so a 100 MB
   * plan is never one string; folders on the way are made. Throws `storage.io`.
   */
  put(path: string, content: Iterable<string | Uint8Array>): Promise<void>;
  /** Writes a small file only if there is none (the lock): `false` when one is there already. */
  putExclusive(path: string, content: string): Promise<boolean>;
  /**
   * Adds text to the end of a file, making it if needed (the journal's done list). Optional: a store that
   * cannot append (object storage) lacks it, and the journal writes a new small file per record instead.
   */
  append?(path: string, text: string): Promise<void>;
  /**
   * Moves a file over another, replacing it (a journal written aside, then put in place): atomic on a
   * filesystem, copy-then-delete on object storage. Throws `storage.io`.
   */
  move(from: string, to: string): Promise<void>;
  /** Deletes one small file if it is there (the lock, journal files), and its folder if that is left empty. */
  remove(path: string): Promise<void>;

  /**
   * Multipart uploads in progress below a path, every page of them. Optional: only an object store has
   * them (a filesystem store lacks the method and so has none).
   */
  listMultipartUploads?(path: string): Promise<StoreMultipartUpload[]>;
  /** Aborts multipart uploads (their parts are freed); one already gone is `{ aborted: false }`. */
  abortMultipartUploads?(
    uploads: readonly StoreMultipartUpload[],
    options?: StoreCallOptions<{ aborted: boolean }>,
  ): Promise<Array<StoreOutcome<{ aborted: boolean }> | undefined>>;

  /** Lets go of threads, sockets and connections. */
  close(): Promise<void>;
}

/** True for the failure answer of a batch. */
export const isStoreFailure = (o: unknown): o is StoreFailure => (o as StoreFailure)?.failed === true;
/** True for the missing answer of a batch. */
export const isStoreMissing = (o: unknown): o is StoreMissing => (o as StoreMissing)?.missing === true;
