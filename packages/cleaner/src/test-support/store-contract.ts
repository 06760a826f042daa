import { describe, expect, it } from "vitest";
import { layoutScans, listingScans } from "../stores/layout-scans.js";
import {
  isStoreFailure,
  isStoreMissing,
  type LinkTreeScan,
  type Store,
  type StoreDeleted,
  type StoreEntry,
  type StoreOutcome,
  type StoreWalkEntry,
  type TagTreeScan,
} from "../stores/store.js";

/** A fresh, empty store for one test, and how to get rid of it (close it, remove its folder or bucket). */
export interface ContractStore {
  store: Store;
  dispose(): Promise<void>;
}

const sortedEntries = (o: StoreOutcome<StoreEntry[]>) =>
  Array.isArray(o) ? o.map((e) => `${e.name} ${e.kind}`).sort() : isStoreMissing(o) ? "missing" : o;

/** A tags folder's scan as comparable data: sorted entries, each tag's folders, each index's links. */
function tagTreeShape(outcome: StoreOutcome<TagTreeScan> | undefined) {
  if (outcome === undefined || !("tags" in outcome)) return outcome;
  const tags: Record<string, unknown> = {};
  for (const [i, tag] of outcome.tags) {
    const index = tag.index;
    tags[outcome.entries[i]?.name as string] = {
      entries: sortedEntries(tag.entries),
      current: sortedEntries(tag.current),
      index:
        "algorithms" in index
          ? index.algorithms
              .flatMap((alg) => alg.entries.map((e, j) => `${alg.name}/${e} ${alg.links[j]} ${alg.texts[j]}`))
              .sort()
          : isStoreMissing(index)
            ? "missing"
            : index,
    };
  }
  return { entries: sortedEntries(outcome.entries), tags };
}

const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

async function collect(store: Store, prefix: string): Promise<StoreWalkEntry[]> {
  const all: StoreWalkEntry[] = [];
  for await (const batch of store.walk(prefix)) all.push(...batch);
  return all.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function readAll(store: Store, path: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of store.readStream(path)) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function deleteAll(
  run: (onBatch: (start: number, results: Array<StoreOutcome<StoreDeleted>>) => void) => Promise<void>,
  count: number,
): Promise<Array<StoreOutcome<StoreDeleted> | undefined>> {
  const results = new Array<StoreOutcome<StoreDeleted> | undefined>(count);
  await run((start, batch) => {
    batch.forEach((r, i) => {
      results[start + i] = r;
    });
  });
  return results;
}

const removedSomething = (r: StoreOutcome<StoreDeleted> | undefined) =>
  r !== undefined && !isStoreFailure(r) && !isStoreMissing(r) && r.files + r.dirs > 0;

/**
 * The behaviour every store must show (distribution's `driver/testsuites` in spirit): run it against each
 * implementation with a factory of fresh, empty stores. Paths are written through the store itself, so the
 * same suite runs against a folder, a bucket, or anything else.
 */
export function runStoreContract(name: string, make: () => Promise<ContractStore>): void {
  describe(`store contract: ${name}`, () => {
    const withStore = (fn: (store: Store) => Promise<void>) => async () => {
      const { store, dispose } = await make();
      try {
        await fn(store);
      } finally {
        await dispose();
      }
    };

    it(
      "reads back what it wrote: whole, small, streamed, and its size",
      withStore(async (store) => {
        await store.put("a/b/file", ["hello ", new TextEncoder().encode("world")]);
        const [read] = await store.read(["a/b/file"]);
        expect(text(read as Uint8Array)).toBe("hello world");
        const [small] = await store.readSmall(["a/b/file"]);
        expect(small).toMatchObject({ kind: "file", size: 11, text: "hello world" });
        const [info] = await store.stat(["a/b/file"]);
        expect(info).toMatchObject({ kind: "file", size: 11 });
        expect(Math.abs(((info as { mtimeMs: number }).mtimeMs ?? 0) - Date.now())).toBeLessThan(600_000);
        expect(await readAll(store, "a/b/file")).toBe("hello world");
      }),
    );

    it(
      "put replaces a file whole",
      withStore(async (store) => {
        await store.put("x/file", ["a much longer first text"]);
        await store.put("x/file", ["short"]);
        expect(text((await store.read(["x/file"]))[0] as Uint8Array)).toBe("short");
      }),
    );

    it(
      "answers a batch in input order, a missing path as missing (never a throw)",
      withStore(async (store) => {
        await store.put("d/one", ["1"]);
        await store.put("d/three", ["333"]);
        const paths = ["d/one", "d/two", "d/three", "nowhere/at/all"];
        const stats = await store.stat(paths);
        expect(stats.map((s) => (isStoreMissing(s) ? "missing" : (s as { size: number }).size))).toEqual([
          1,
          "missing",
          3,
          "missing",
        ]);
        const reads = await store.read(paths);
        expect(reads.map((r) => (isStoreMissing(r) ? "missing" : text(r as Uint8Array)))).toEqual([
          "1",
          "missing",
          "333",
          "missing",
        ]);
        const smalls = await store.readSmall(paths);
        expect(smalls.map((s) => (isStoreMissing(s) ? "missing" : (s as { text?: string }).text))).toEqual([
          "1",
          "missing",
          "333",
          "missing",
        ]);
        expect(isStoreMissing((await store.list(["nowhere"]))[0])).toBe(true);
      }),
    );

    it(
      "lists a folder's direct entries with their kinds",
      withStore(async (store) => {
        await store.put("top/file", ["f"]);
        await store.put("top/sub/deeper/file", ["f"]);
        await store.put("top/sub2/file", ["f"]);
        const [listing] = await store.list(["top"]);
        const entries = (listing as Array<{ name: string; kind: string }>)
          .map((e) => `${e.name}:${e.kind}`)
          .sort();
        expect(entries).toEqual(["file:file", "sub2:dir", "sub:dir"]);
      }),
    );

    it(
      "walks every file below a prefix, and nothing below one that is not there",
      withStore(async (store) => {
        await store.put("w/a", ["1"]);
        await store.put("w/b/c", ["22"]);
        await store.put("w/b/d/e", ["333"]);
        await store.put("other/f", ["4"]);
        const walked = await collect(store, "w");
        expect(walked.map((e) => e.path)).toEqual(["w/a", "w/b/c", "w/b/d/e"]);
        expect(walked.every((e) => e.kind === "file")).toBe(true);
        if (store.capabilities.listingHasInfo) expect(walked.map((e) => e.size)).toEqual([1, 2, 3]);
        expect(await collect(store, "nothing/here")).toEqual([]);
      }),
    );

    it(
      "deletes each job's files (lazy inputs too), counting what was there; a second run finds nothing",
      withStore(async (store) => {
        await store.put("r/x/1/link", ["a"]);
        await store.put("r/x/2/link", ["b"]);
        await store.put("r/y/keep", ["c"]);
        const jobs = [
          { files: ["r/x/1/link"], upTo: "r/x/1" },
          { files: ["r/x/2/link"], upTo: "r/x/2" },
        ];
        const first = await deleteAll(
          (onBatch) =>
            store.delete({ length: jobs.length, at: (i) => jobs[i] as (typeof jobs)[number] }, { onBatch }),
          jobs.length,
        );
        expect(first.map((r) => (r as StoreDeleted).files)).toEqual([1, 1]);
        const again = await deleteAll((onBatch) => store.delete(jobs, { onBatch }), jobs.length);
        expect(again.map((r) => (r as StoreDeleted).files)).toEqual([0, 0]);
        expect(isStoreMissing((await store.stat(["r/x/1/link"]))[0])).toBe(true);
        expect((await collect(store, "r")).map((e) => e.path)).toEqual(["r/y/keep"]);
        if (store.capabilities.folders) {
          // The emptied folders went up to `upTo`, and not beyond it.
          expect(isStoreMissing((await store.list(["r/x/1"]))[0])).toBe(true);
          expect(isStoreMissing((await store.list(["r/x"]))[0])).toBe(false);
        }
      }),
    );

    it(
      "counts what was there in a batch of many files, some gone already, leaving files between them alone",
      withStore(async (store) => {
        await checkDenseDelete(store);
      }),
    );

    it(
      "deletes everything below a prefix; once gone, deleting again removes nothing",
      withStore(async (store) => {
        await store.put("u/up1/data", ["data"]);
        await store.put("u/up1/hashstates/sha256/0", ["h"]);
        await store.put("u/up2/startedat", ["t"]);
        const prefixes = ["u/up1", "u/missing"];
        const first = await deleteAll(
          (onBatch) => store.deletePrefix(prefixes, { onBatch }),
          prefixes.length,
        );
        expect(first.map(removedSomething)).toEqual([true, false]);
        expect((await collect(store, "u")).map((e) => e.path)).toEqual(["u/up2/startedat"]);
        const again = await deleteAll((onBatch) => store.deletePrefix(["u/up1"], { onBatch }), 1);
        expect(removedSomething(again[0])).toBe(false);
      }),
    );

    it(
      "moves a file over another",
      withStore(async (store) => {
        await store.put("m/aside.tmp", ["new"]);
        await store.put("m/file", ["old"]);
        await store.move("m/aside.tmp", "m/file");
        expect(text((await store.read(["m/file"]))[0] as Uint8Array)).toBe("new");
        expect(isStoreMissing((await store.stat(["m/aside.tmp"]))[0])).toBe(true);
      }),
    );

    it(
      "does not run batches once the signal is aborted",
      withStore(async (store) => {
        await store.put("s/file", ["1"]);
        const controller = new AbortController();
        controller.abort();
        const results = await store.stat(["s/file"], { signal: controller.signal });
        expect(results[0]).toBeUndefined();
      }),
    );

    it(
      "writes a file exclusively only once (the lock)",
      withStore(async (store) => {
        expect(await store.putExclusive("state/lock", "first")).toBe(true);
        expect(await store.putExclusive("state/lock", "second")).toBe(false);
        expect(text((await store.read(["state/lock"]))[0] as Uint8Array)).toBe("first");
        await store.remove("state/lock");
        expect(isStoreMissing((await store.stat(["state/lock"]))[0])).toBe(true);
        expect(await store.putExclusive("state/lock", "third")).toBe(true);
        await store.remove("state/lock");
        await store.remove("state/lock"); // removing what is gone is fine
      }),
    );

    it(
      "appends, when it can",
      withStore(async (store) => {
        if (!store.append) {
          console.info(`${name}: no append (the journal writes a file per record instead)`);
          expect(store.append).toBeUndefined();
          return;
        }
        await store.append("state/done", "1\n");
        await store.append("state/done", "2\n");
        expect(text((await store.read(["state/done"]))[0] as Uint8Array)).toBe("1\n2\n");
      }),
    );

    it(
      "scans link trees and blob folders, when it can, as listing and reading would see them",
      withStore(async (store) => {
        const hex = "a".repeat(64);
        const other = "b".repeat(64);
        await store.put(`links/sha256/${hex}/link`, [`sha256:${hex}\n`]);
        await store.put(`links/sha256/${other}/link`, [`sha256:${other}`]);
        await store.put(`blobs/sha256/aa/${hex}/data`, ["12345"]);
        if (!store.scans) {
          console.info(`${name}: no layout scans (the engine lists and reads instead)`);
          expect(store.scans).toBeUndefined();
          return;
        }
        const [links, gone] = await store.scans.scanLinkTrees(["links", "no-links"]);
        expect(isStoreMissing(gone)).toBe(true);
        const alg = (links as LinkTreeScan).algorithms[0] as LinkTreeScan["algorithms"][number];
        expect(alg.name).toBe("sha256");
        const entries = alg.entries;
        const order = [...entries.keys()].sort((a, b) =>
          (entries[a] as string) < (entries[b] as string) ? -1 : 1,
        );
        expect(order.map((i) => entries[i])).toEqual([hex, other]);
        expect(order.map((i) => alg.texts[i])).toEqual([`sha256:${hex}`, `sha256:${other}`]);
        expect(order.map((i) => alg.links[i])).toEqual(["L", "L"]);
        // What a link folder holds besides its link, the reader's only sign of a revision's signatures:
        // without it, it would have to look below every revision (a listing each on object storage).
        await store.put(`links/sha256/${other}/signatures/sha256/${hex}/link`, [`sha256:${hex}`]);
        await store.put(`links/sha256/${hex}/link.orig`, ["x"]);
        const [again] = await store.scans.scanLinkTrees(["links"]);
        const alg2 = (again as LinkTreeScan).algorithms[0] as LinkTreeScan["algorithms"][number];
        const named = (alg2.extras ?? []).map(([i, extra, kind]) => [alg2.entries[i], extra, kind]);
        expect(named.sort()).toEqual([
          [hex, "link.orig", "file"],
          [other, "signatures", "dir"],
        ]);
        const [blobs] = await store.scans.scanBlobFolders(["blobs/sha256/aa"]);
        expect(blobs).toMatchObject({ entries: [hex], data: "F" });
        expect((blobs as { sizes: Float64Array }).sizes[0]).toBe(5);
      }),
    );

    it(
      "scans tags folders as listing each tag folder and scanning each index would see them",
      withStore(async (store) => {
        const hex = "a".repeat(64);
        const other = "b".repeat(64);
        const files: Array<[string, string]> = [
          [`tags/latest/current/link`, `sha256:${hex}`],
          [`tags/latest/index/sha256/${hex}/link`, `sha256:${hex}`],
          // A link of another length than its digest's is read, not taken from its name.
          [`tags/latest/index/sha256/${other}/link`, `sha256:${other}\n`],
          [`tags/history-only/index/sha256/${other}/link`, `sha256:${other}`],
          [`tags/odd/current/link.bak`, "x"],
          [`tags/odd/junk`, "x"],
          [`tags/README`, "x"],
        ];
        for (const [path, content] of files) await store.put(path, [content]);
        const [scan, gone] = await layoutScans(store).scanTagTrees(["tags", "no-tags"]);
        expect(isStoreMissing(gone)).toBe(true);
        const seen = tagTreeShape(scan);
        expect(seen).toEqual({
          entries: ["README file", "history-only dir", "latest dir", "odd dir"],
          tags: {
            latest: {
              entries: ["current dir", "index dir"],
              current: ["link file"],
              index: [`sha256/${hex} L sha256:${hex}`, `sha256/${other} L sha256:${other}`],
            },
            "history-only": {
              entries: ["index dir"],
              current: "missing",
              index: [`sha256/${other} L sha256:${other}`],
            },
            odd: { entries: ["current dir", "junk file"], current: ["link.bak file"], index: "missing" },
          },
        });
        // The same answers as plain listing and reading (what a store without the scan would be given).
        const plain = await listingScans(store).scanTagTrees(["tags"]);
        expect(tagTreeShape(plain[0])).toEqual(seen);
      }),
    );
  });
}

/**
 * A delete batch of 30 jobs in one folder range, every other file present, with files not in the batch
 * before, between and after them: each job counts exactly what it found, only its own files go, and a
 * second run finds nothing (an object store may answer presence from a listing instead of a request each).
 */
export async function checkDenseDelete(store: Store): Promise<void> {
  const name = (i: number) => `d/k${String(i).padStart(2, "0")}/data`;
  const jobs = Array.from({ length: 30 }, (_, i) => ({ files: [name(i)], upTo: `d/k${i}` }));
  const kept = ["d/a-before", "d/k05/data.keep", "d/k17x/data", "d/zz-after"];
  for (let i = 0; i < 30; i += 2) await store.put(name(i), [String(i)]);
  for (const path of kept) await store.put(path, ["keep"]);
  const first = await deleteAll((onBatch) => store.delete(jobs, { onBatch }), jobs.length);
  expect(first.map((r) => (r as StoreDeleted).files)).toEqual(jobs.map((_, i) => (i % 2 === 0 ? 1 : 0)));
  const again = await deleteAll((onBatch) => store.delete(jobs, { onBatch }), jobs.length);
  expect(again.map((r) => (r as StoreDeleted).files)).toEqual(jobs.map(() => 0));
  expect((await collect(store, "d")).map((e) => e.path)).toEqual([...kept].sort());
}
