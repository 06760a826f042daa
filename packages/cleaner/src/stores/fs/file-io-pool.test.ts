import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeFiles } from "../../test-support/tree-files.js";
import { FileIoPool, isFailure, isMissing } from "./file-io-pool.js";

const listFiles = async (root: string) => Object.keys(await treeFiles(root)).sort();

let dir: string;
let io: FileIoPool;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "regsweep-io-"));
  io = new FileIoPool(2);
});
afterAll(async () => {
  await io.close();
  await rm(dir, { recursive: true, force: true });
});

describe("FileIoPool reads", () => {
  it("lists, stats and reads, reporting missing paths and refusals per input, in input order", async () => {
    await mkdir(join(dir, "r/sub"), { recursive: true });
    await writeFile(join(dir, "r/link"), "sha256:abc\n");
    await writeFile(join(dir, "outside"), "secret");
    await symlink(join(dir, "outside"), join(dir, "r/sym"));

    const [listing, gone, notADir] = await io.list([join(dir, "r"), join(dir, "nope"), join(dir, "r/link")]);
    expect(Array.isArray(listing) && [...listing].sort()).toEqual([
      ["link", "file"],
      ["sub", "dir"],
      ["sym", "symlink"],
    ]);
    expect(isMissing(gone)).toBe(true);
    expect(isMissing(notADir)).toBe(true); // ENOTDIR: a file where a folder was expected is "not there"

    const [link, sym, folder, none] = await io.readSmall(
      ["r/link", "r/sym", "r/sub", "r/none"].map((p) => join(dir, p)),
    );
    expect(link).toMatchObject({ kind: "file", size: 11, text: "sha256:abc\n" });
    // A symbolic link is reported, never read through.
    expect(sym).toMatchObject({ kind: "symlink" });
    expect(sym).not.toHaveProperty("text");
    expect(folder).toMatchObject({ kind: "dir" });
    expect(isMissing(none)).toBe(true);

    const [bytes, refused] = await io.read([join(dir, "r/link"), join(dir, "r/sub")]);
    expect(Buffer.from(bytes as Uint8Array).toString()).toBe("sha256:abc\n");
    expect(isFailure(refused) && refused.code).toBe("EISDIR");
    expect(isFailure(refused) && refused.path).toBe(join(dir, "r/sub"));
  });

  it("does not hang on a FIFO", async () => {
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const [fifo] = await io.readSmall([join(dir, "fifo")]);
    expect(fifo).toMatchObject({ kind: "other" });
  });

  it("keeps input order across many batches and threads", async () => {
    const names = Array.from({ length: 1500 }, (_, i) => `f${i}`);
    await mkdir(join(dir, "many"));
    await Promise.all(names.map((n) => writeFile(join(dir, "many", n), n)));
    const seen: number[] = [];
    const results = await io.readSmall(names, {
      base: join(dir, "many"),
      onBatch: (start) => seen.push(start),
    });
    expect(results.map((r) => (r && "text" in r ? r.text : r))).toEqual(names);
    expect(seen.sort((a, b) => a - b)).toEqual([0, 256, 512, 768, 1024, 1280]);
  });

  it("runs nothing once the signal has aborted", async () => {
    const results = await io.stat([dir, dir], { signal: AbortSignal.abort() });
    expect(results).toEqual([undefined, undefined]);
  });
});

describe("FileIoPool removals", () => {
  it("unlinks a job's files, then its emptied folders up to and including upTo, deepest first", async () => {
    const base = join(dir, "rm1");
    await mkdir(join(base, "a/b/c"), { recursive: true });
    await mkdir(join(base, "a/keep"), { recursive: true });
    await writeFile(join(base, "a/b/c/data"), "x");
    await writeFile(join(base, "a/keep/file"), "y");
    const [removed, again] = await io.remove(
      [
        { files: ["a/b/c/data"], upTo: "a" },
        { files: ["a/b/c/data"], upTo: "a/b" },
      ],
      { base },
    );
    // The first job empties a/b/c and a/b but a still holds keep/; the second finds everything gone.
    expect([removed, again]).toEqual([
      { files: 1, dirs: 2 },
      { files: 0, dirs: 0 },
    ]);
    expect(await listFiles(base)).toEqual(["a/keep/file"]);
  });

  it("removes an empty folder on its own (prune), and leaves a full one", async () => {
    const base = join(dir, "rm2");
    await mkdir(join(base, "empty"), { recursive: true });
    await mkdir(join(base, "full"), { recursive: true });
    await writeFile(join(base, "full/x"), "x");
    const results = await io.remove(
      [
        { files: [], upTo: "empty" },
        { files: [], upTo: "full" },
      ],
      { base },
    );
    expect(results).toEqual([
      { files: 0, dirs: 1 },
      { files: 0, dirs: 0 },
    ]);
  });

  it("removes a symbolic link itself, never what it points at, and refuses a folder named as a file", async () => {
    const base = join(dir, "rm3");
    await mkdir(join(base, "d/folder"), { recursive: true });
    await writeFile(join(dir, "target"), "keep me");
    await symlink(join(dir, "target"), join(base, "d/link"));
    const [link, folder] = await io.remove(
      [
        { files: ["d/link"], upTo: "d" },
        { files: ["d/folder"], upTo: "d" },
      ],
      { base },
    );
    expect(link).toEqual({ files: 1, dirs: 0 });
    expect(isFailure(folder) && ["EISDIR", "EPERM"].includes(folder.code)).toBe(true);
    expect(await readFile(join(dir, "target"), "utf8")).toBe("keep me");
  });

  it("removeTree takes a folder with its content and leaves anything else", async () => {
    const base = join(dir, "rm4");
    await mkdir(join(base, "upload/x"), { recursive: true });
    await writeFile(join(base, "upload/x/data"), "partial");
    await writeFile(join(base, "file"), "f");
    const results = await io.removeTree(["upload", "file", "gone"], { base });
    expect(results[0]).toEqual({ files: 0, dirs: 1 });
    expect(results[1]).toEqual({ files: 0, dirs: 0 });
    expect(isMissing(results[2])).toBe(true);
    expect(await listFiles(base)).toEqual(["file"]);
  });
});
