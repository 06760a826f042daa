import type {
  BlobFolderScan,
  LinkTreeScan,
  Store,
  StoreEntry,
  StoreEntryKind,
  StoreLayoutScans,
  StoreOutcome,
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
  /** `E` for an empty folder, `N` for one that holds something. */
  const emptiness = async (dirs: string[]): Promise<string[]> =>
    (await store.list(dirs)).map((l) => (isEntries(l) && l.length === 0 ? "E" : "N"));

  return {
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
      const links = await store.readSmall(folders.map((f) => `${f.dir}/link`));
      const noLink = folders.filter((_, i) => {
        const l = links[i];
        return !(l && !isStoreFailure(l) && !isStoreMissing(l) && l.text !== undefined);
      });
      const empty = new Map(noLink.map((f, i) => [f, i]));
      const emptyStates = await emptiness(noLink.map((f) => f.dir));
      const linkOf = new Map(folders.map((f, i) => [f, links[i]]));

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
        const refused = mine.map((x) => linkOf.get(x)).find((l) => isStoreFailure(l));
        if (refused) {
          scans[alg.r] = refused as StoreOutcome<LinkTreeScan>;
          return;
        }
        const out: LinkTreeScan["algorithms"][number] = {
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
          if (x.e.kind !== "dir") {
            out.links += "-";
            out.texts.push("");
          } else if (link && !isStoreFailure(link) && !isStoreMissing(link) && link.text !== undefined) {
            out.links += "L";
            out.texts.push(link.text.trim());
            out.mtimes[j] = link.mtimeMs;
          } else {
            out.links += emptyStates[empty.get(x) as number];
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
      const data = await store.stat(folders.map((f) => `${f.dir}/data`));
      const missing = folders.filter((_, i) => isStoreMissing(data[i]));
      const emptyStates = await emptiness(missing.map((f) => f.dir));
      const emptyOf = new Map(missing.map((f, i) => [f, emptyStates[i]]));
      const dataOf = new Map(folders.map((f, i) => [f, data[i]]));
      return dirs.map((_, d) => {
        const l = listed[d];
        if (!isEntries(l)) return l as StoreOutcome<BlobFolderScan> | undefined;
        const mine = entries.filter((x) => x.d === d);
        const scan: BlobFolderScan = {
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
          const info = dataOf.get(x);
          if (isStoreMissing(info) || info === undefined) {
            scan.data += emptyOf.get(x) ?? "N";
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
  };
}
