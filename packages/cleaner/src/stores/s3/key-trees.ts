import type { LinkTreeScan, StoreEntry, StoreEntryKind, TagFolderScan, TagTreeScan } from "../store.js";

// Folders of an object store are key prefixes: what a `/`-delimited listing of any folder below a prefix
// would answer can be made from one listing of every key below it. These build those answers, so that
// one request per repository does the work of one per tag (or per link folder).

/** A key below some prefix, relative to it, with what the listing says of it. */
export interface ListedKey {
  rel: string;
  size: number;
  mtimeMs: number;
}

/** Keys below `<name>/`, relative to it: what a listing of that prefix holds. */
export function keysBelow(keys: readonly ListedKey[], name: string): ListedKey[] {
  const prefix = `${name}/`;
  return keys.filter((k) => k.rel.startsWith(prefix)).map((k) => ({ ...k, rel: k.rel.slice(prefix.length) }));
}

/**
 * The folder's entries as a `/`-delimited listing of it answers: each first path segment, a folder when
 * keys go on below it, a file when a key ends there (both, when both are there). A key naming the folder
 * itself (a `name/` marker) is no entry. Folders first, then files, each in key order.
 */
export function entriesOf(keys: readonly ListedKey[]): StoreEntry[] {
  const dirs = new Set<string>();
  const files: StoreEntry[] = [];
  for (const { rel } of keys) {
    if (rel === "") continue;
    const slash = rel.indexOf("/");
    if (slash < 0) files.push({ name: rel, kind: "file" });
    else dirs.add(rel.slice(0, slash));
  }
  return [...[...dirs].map((name): StoreEntry => ({ name, kind: "dir" })), ...files];
}

/** A link whose text a listing cannot give (its size is not that of the digest its folder names). */
export interface LinkToRead {
  /** Path of the link below the scanned root. */
  rel: string;
  apply: (text: string) => void;
}

/**
 * An `<alg>/<hex>/link` tree from its keys. A link's text is taken from its key when its size is the
 * length of `<alg>:<hex>` (the content can be nothing else's length); a link of another size (empty,
 * newline-ended, corrupt) is in `reads`, and its text is set when the caller has read it.
 */
export function linkTreeFromKeys(keys: readonly ListedKey[]): { scan: LinkTreeScan; reads: LinkToRead[] } {
  type Entry = {
    kind: "f" | "d";
    link?: { size: number; mtimeMs: number };
    /** What the folder holds besides its `link` file: first path segment → kind. */
    extras?: Map<string, StoreEntryKind>;
  };
  const others: Array<[string, StoreEntryKind]> = [];
  const algs = new Map<string, Map<string, Entry>>();
  for (const k of keys) {
    const [alg, name, ...rest] = k.rel.split("/");
    if (alg === undefined || alg === "") continue;
    if (name === undefined) {
      others.push([alg, "file"]); // a file beside the algorithms
      continue;
    }
    if (name === "") continue; // an `<alg>/` marker
    let entries = algs.get(alg);
    if (!entries) {
      entries = new Map();
      algs.set(alg, entries);
    }
    const entry: Entry = entries.get(name) ?? { kind: rest.length === 0 ? "f" : "d" };
    if (rest.length > 0) entry.kind = "d";
    if (rest.length === 1 && rest[0] === "link") entry.link = { size: k.size, mtimeMs: k.mtimeMs };
    else if (rest.length > 0 && rest[0] !== "") {
      // A key below a segment makes the segment a folder (a revision's `signatures/`, a `link/x`).
      entry.extras ??= new Map();
      entry.extras.set(rest[0] as string, rest.length > 1 ? "dir" : "file");
    }
    entries.set(name, entry);
  }
  const reads: LinkToRead[] = [];
  const algorithms: LinkTreeScan["algorithms"] = [];
  for (const [alg, entries] of algs) {
    const names = [...entries.keys()];
    const scan: LinkTreeScan["algorithms"][number] = {
      name: alg,
      entries: names,
      kinds: "",
      links: "",
      texts: [],
      mtimes: new Float64Array(names.length),
      order: new Float64Array(names.length),
      extras: [],
    };
    names.forEach((name, i) => {
      const entry = entries.get(name) as Entry;
      scan.kinds += entry.kind;
      for (const [extra, kind] of entry.extras ?? []) scan.extras?.push([i, extra, kind]);
      const expected = `${alg}:${name}`;
      if (entry.kind === "d" && entry.link) {
        scan.links += "L";
        scan.mtimes[i] = entry.link.mtimeMs;
        if (entry.link.size === expected.length) scan.texts.push(expected);
        else {
          scan.texts.push("");
          reads.push({ rel: `${alg}/${name}/link`, apply: (text) => (scan.texts[i] = text.trim()) });
        }
      } else {
        scan.texts.push("");
        // A folder is there only through keys below it, so it is never empty.
        scan.links += entry.kind === "f" ? "-" : "N";
      }
    });
    algorithms.push(scan);
  }
  return { scan: { ...(others.length > 0 ? { others } : {}), algorithms }, reads };
}

/**
 * A repository's `_manifests/tags/` from its keys: the folder's entries, and for each tag folder its
 * entries, its `current/` entries and its `index` link tree, as listing each would answer. Links of the
 * index trees that must be read are in `reads`, relative to the tags folder.
 */
export function tagTreeFromKeys(keys: readonly ListedKey[]): { scan: TagTreeScan; reads: LinkToRead[] } {
  const entries = entriesOf(keys);
  const reads: LinkToRead[] = [];
  const tags = new Map<number, TagFolderScan>();
  // One pass groups the keys by tag, instead of a filter of every key per tag.
  const byTag = new Map<string, ListedKey[]>();
  for (const k of keys) {
    const slash = k.rel.indexOf("/");
    if (slash <= 0) continue;
    const tag = k.rel.slice(0, slash);
    const below = { ...k, rel: k.rel.slice(slash + 1) };
    const list = byTag.get(tag);
    if (list) list.push(below);
    else byTag.set(tag, [below]);
  }
  entries.forEach((entry, i) => {
    if (entry.kind !== "dir") return;
    const inTag = byTag.get(entry.name) ?? [];
    const listing = (found: StoreEntry[]) => (found.length === 0 ? { missing: true as const } : found);
    const indexKeys = keysBelow(inTag, "index");
    let index: TagFolderScan["index"] = { missing: true };
    if (entriesOf(indexKeys).length > 0) {
      const built = linkTreeFromKeys(indexKeys);
      index = built.scan;
      for (const r of built.reads) reads.push({ rel: `${entry.name}/index/${r.rel}`, apply: r.apply });
    }
    tags.set(i, {
      entries: listing(entriesOf(inTag)),
      current: listing(entriesOf(keysBelow(inTag, "current"))),
      index,
    });
  });
  return { scan: { entries, tags }, reads };
}
