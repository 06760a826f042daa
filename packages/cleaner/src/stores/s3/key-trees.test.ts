import { describe, expect, it } from "vitest";
import { entriesOf, keysBelow, type ListedKey, linkTreeFromKeys, tagTreeFromKeys } from "./key-trees.js";

const keys = (...rels: Array<string | [string, number]>): ListedKey[] =>
  rels.map((r) =>
    typeof r === "string" ? { rel: r, size: 1, mtimeMs: 7 } : { rel: r[0], size: r[1], mtimeMs: 7 },
  );
const hex = "c".repeat(64);
const digest = `sha256:${hex}`;

describe("entriesOf", () => {
  it("answers as a delimited listing: a folder per first segment with keys below, a file per key ending there", () => {
    expect(entriesOf(keys("a/x", "a/y/z", "b", "a", "c/"))).toEqual([
      { name: "a", kind: "dir" },
      { name: "c", kind: "dir" },
      { name: "b", kind: "file" },
      { name: "a", kind: "file" },
    ]);
  });

  it("does not count a key naming the folder itself (a marker) as an entry", () => {
    expect(entriesOf(keys(""))).toEqual([]);
    expect(keysBelow(keys("t/current/", "t/currentx", "u/current/link"), "t/current")).toEqual(keys(""));
  });
});

describe("linkTreeFromKeys", () => {
  it("takes a link's text from its key when the size is the digest's, and asks for a read otherwise", () => {
    const other = "d".repeat(64);
    const { scan, reads } = linkTreeFromKeys(
      keys(
        [`sha256/${hex}/link`, digest.length],
        [`sha256/${other}/link`, 3],
        `sha256/${other}/signatures/x`,
      ),
    );
    const [alg] = scan.algorithms;
    expect(alg?.entries).toEqual([hex, other]);
    expect(alg?.links).toBe("LL");
    expect(alg?.texts).toEqual([digest, ""]);
    expect(alg?.extras).toEqual([[1, "signatures", "dir"]]);
    expect(reads.map((r) => r.rel)).toEqual([`sha256/${other}/link`]);
    reads[0]?.apply(` sha256:${other}\n`);
    expect(alg?.texts[1]).toBe(`sha256:${other}`);
  });

  it("reports a file beside the algorithm folders, a file where a link folder belongs, and a folder without its link", () => {
    const { scan } = linkTreeFromKeys(keys("stray", "sha256/file", `sha256/${hex}/link.orig`));
    expect(scan.others).toEqual([["stray", "file"]]);
    expect(scan.algorithms[0]?.kinds).toBe("fd");
    expect(scan.algorithms[0]?.links).toBe("-N");
    expect(scan.algorithms[0]?.extras).toEqual([[1, "link.orig", "file"]]);
  });
});

describe("tagTreeFromKeys", () => {
  it("answers each tag folder, its current folder and its index from one listing", () => {
    const { scan, reads } = tagTreeFromKeys(
      keys(
        [`v1/current/link`, digest.length],
        [`v1/index/sha256/${hex}/link`, digest.length + 1],
        "v2/index/sha256/x",
        "notes",
      ),
    );
    expect(scan.entries.map((e) => `${e.name} ${e.kind}`)).toEqual(["v1 dir", "v2 dir", "notes file"]);
    expect([...scan.tags.keys()]).toEqual([0, 1]);
    expect(scan.tags.get(0)?.entries).toEqual([
      { name: "current", kind: "dir" },
      { name: "index", kind: "dir" },
    ]);
    expect(scan.tags.get(0)?.current).toEqual([{ name: "link", kind: "file" }]);
    expect(scan.tags.get(1)?.current).toEqual({ missing: true });
    expect(reads.map((r) => r.rel)).toEqual([`v1/index/sha256/${hex}/link`]);
    const v2 = scan.tags.get(1)?.index;
    expect(v2 && "algorithms" in v2 ? v2.algorithms[0]?.kinds : v2).toBe("f");
  });
});
