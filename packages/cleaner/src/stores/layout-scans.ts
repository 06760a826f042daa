import type {
  BlobFolderScan,
  LinkTreeScan,
  Store,
  StoreEntry,
  StoreEntryKind,
  StoreLayoutScans,
  StoreOutcome,
  TagFolderScan,
  TagTreeScan,
} from "./store.js";
import { isStoreFailure, isStoreMissing } from "./store.js";

const isEntries = (o: unknown): o is StoreEntry[] => Array.isArray(o);

/**
 * The layout scans of a store: its own fast ones, or the same answers made from `list`, `readSmall` and
 * `stat` for a store without them (a few more round trips, one batch per level).
 */
export function layoutScans(store: Store): StoreLayoutScans {
  return store.scans ?? listingScans(store);
}

/** A failure of a level below the root becomes the root's answer, as one scan call on a thread would fail. */
function firstFailure(outcomes: Array<unknown>): StoreOutcome<never> | undefined {
  return outcomes.find((o) => isStoreFailure(o)) as StoreOutcome<never> | undefined;
}

/** Layout scans made of listing and reading (see `layoutScans`). */
export function listingScans(store: Store): StoreLayoutScans {
  const scans: StoreLayoutScans = {
    async scanLinkTrees(roots) {
      const listed = await store.list(roots);
      const algs = listed.flatMap((l, r) =>
        isEntries(l)
          ? l.filter((e) => e.kind === "dir").map((e) => ({ r, name: e.name, dir: `${roots[r]}/${e.name}` }))
          : [],
      );
      const algListings = await store.list(algs.map((a) => a.dir));
      const entries = algs.flatMap((a, i) => {
        const l = algListings[i];
        return isEntries(l) ? l.map((e) => ({ a: i, e, dir: `${a.dir}/${e.name}` })) : [];
      });
      const folders = entries.filter((x) => x.e.kind === "dir");
      // Each folder is listed: what it holds besides `link` is reported, as the filesystem scan does.
      const insides = await store.list(folders.map((f) => f.dir));
      const insideOf = new Map(folders.map((f, i) => [f, insides[i]]));
      const withLink = folders.filter((_, i) => {
        const inside = insides[i];
        return isEntries(inside) && inside.some((e) => e.name === "link" && e.kind === "file");
      });
      const links = await store.readSmall(withLink.map((f) => `${f.dir}/link`));
      const linkOf = new Map(withLink.map((f, i) => [f, links[i]]));
      const scans: Array<StoreOutcome<LinkTreeScan> | undefined> = roots.map((_, r) => {
        const failure = firstFailure([listed[r]]);
        if (failure) return failure;
        const l = listed[r];
        if (isStoreMissing(l) || l === undefined) return l;
        const others = isEntries(l)
          ? l.filter((e) => e.kind !== "dir").map((e): [string, StoreEntryKind] => [e.name, e.kind])
          : [];
        return { others, algorithms: [] };
      }) as Array<StoreOutcome<LinkTreeScan> | undefined>;
      algs.forEach((alg, i) => {
        const scan = scans[alg.r] as LinkTreeScan | undefined;
        if (!scan || !("algorithms" in scan)) return;
        const mine = entries.filter((x) => x.a === i);
        const refused = mine.flatMap((x) => [linkOf.get(x), insideOf.get(x)]).find((l) => isStoreFailure(l));
        if (refused) {
          scans[alg.r] = refused as StoreOutcome<LinkTreeScan>;
          return;
        }
        const extras: NonNullable<LinkTreeScan["algorithms"][number]["extras"]> = [];
        const out: LinkTreeScan["algorithms"][number] = {
          extras,
          name: alg.name,
          entries: mine.map((x) => x.e.name),
          kinds: mine.map((x) => x.e.kind[0]).join(""),
          links: "",
          texts: [],
          mtimes: new Float64Array(mine.length),
          order: new Float64Array(mine.length),
        };
        mine.forEach((x, j) => {
          const link = linkOf.get(x);
          const inside = insideOf.get(x);
          if (x.e.kind !== "dir") {
            out.links += "-";
            out.texts.push("");
            return;
          }
          for (const e of isEntries(inside) ? inside : [])
            if (!(e.name === "link" && e.kind === "file")) extras.push([j, e.name, e.kind]);
          if (link && !isStoreFailure(link) && !isStoreMissing(link) && link.text !== undefined) {
            out.links += "L";
            out.texts.push(link.text.trim());
            out.mtimes[j] = link.mtimeMs;
          } else {
            out.links += isEntries(inside) && inside.length === 0 ? "E" : "N";
            out.texts.push("");
          }
        });
        scan.algorithms.push(out);
      });
      return scans;
    },

    async scanBlobFolders(dirs) {
      const listed = await store.list(dirs);
      const entries = listed.flatMap((l, d) =>
        isEntries(l) ? l.map((e) => ({ d, e, dir: `${dirs[d]}/${e.name}` })) : [],
      );
      const folders = entries.filter((x) => x.e.kind === "dir");
      const insides = await store.list(folders.map((f) => f.dir));
      const insideOf = new Map(folders.map((f, i) => [f, insides[i]]));
      const withData = folders.filter((_, i) => {
        const inside = insides[i];
        return isEntries(inside) && inside.some((e) => e.name === "data");
      });
      const data = await store.stat(withData.map((f) => `${f.dir}/data`));
      const dataOf = new Map(withData.map((f, i) => [f, data[i]]));
      return dirs.map((_, d) => {
        const l = listed[d];
        if (!isEntries(l)) return l as StoreOutcome<BlobFolderScan> | undefined;
        const mine = entries.filter((x) => x.d === d);
        const extras: NonNullable<BlobFolderScan["extras"]> = [];
        const scan: BlobFolderScan = {
          extras,
          entries: mine.map((x) => x.e.name),
          kinds: mine.map((x) => x.e.kind[0]).join(""),
          data: "",
          sizes: new Float64Array(mine.length),
          mtimes: new Float64Array(mine.length),
          order: new Float64Array(mine.length),
        };
        let failure: StoreOutcome<BlobFolderScan> | undefined;
        mine.forEach((x, j) => {
          if (x.e.kind !== "dir") {
            scan.data += "-";
            return;
          }
          const inside = insideOf.get(x);
          if (isStoreFailure(inside)) {
            failure ??= inside;
            return;
          }
          for (const e of isEntries(inside) ? inside : [])
            if (e.name !== "data") extras.push([j, e.name, e.kind]);
          const info = dataOf.get(x);
          if (isStoreMissing(info) || info === undefined) {
            scan.data += isEntries(inside) && inside.length === 0 ? "E" : "N";
            return;
          }
          if (isStoreFailure(info)) {
            failure ??= info;
            return;
          }
          scan.data += info.kind === "file" ? "F" : info.kind === "symlink" ? "S" : "O";
          scan.sizes[j] = info.size;
          scan.mtimes[j] = info.mtimeMs;
        });
        return failure ?? scan;
      });
    },

    scanTagTrees: (dirs, options) => tagTreesByListing(store, scans.scanLinkTrees)(dirs, options),
  };
  return scans;
}

/**
 * `scanTagTrees` made of listing each tags folder, then each tag folder and its `current/`, and of
 * `scanLinkTrees` for each tag's `index` (a store whose listings are cheap, or that sees more than keys:
 * a filesystem's symbolic links and empty folders).
 */
export function tagTreesByListing(
  store: Store,
  scanLinkTrees: StoreLayoutScans["scanLinkTrees"],
): StoreLayoutScans["scanTagTrees"] {
  return async (dirs) => {
    const listed = await store.list(dirs);
    const folders = listed.flatMap((l, d) =>
      isEntries(l)
        ? l.flatMap((e, i) => (e.kind === "dir" ? [{ d, i, dir: `${dirs[d]}/${e.name}` }] : []))
        : [],
    );
    const [entries, currents, indexes] = await Promise.all([
      store.list(folders.map((f) => f.dir)),
      store.list(folders.map((f) => `${f.dir}/current`)),
      scanLinkTrees(folders.map((f) => `${f.dir}/index`)),
    ]);
    const scans = listed.map((l): StoreOutcome<TagTreeScan> | undefined =>
      isEntries(l) ? { entries: l, tags: new Map<number, TagFolderScan>() } : l,
    );
    folders.forEach((f, k) => {
      const scan = scans[f.d];
      if (!scan || !("tags" in scan)) return;
      const [inside, current, index] = [entries[k], currents[k], indexes[k]];
      // A part that did not run (an abort) leaves the whole folder unread, never read as gone.
      if (inside === undefined || current === undefined || index === undefined) scans[f.d] = undefined;
      else scan.tags.set(f.i, { entries: inside, current, index });
    });
    return scans;
  };
}
