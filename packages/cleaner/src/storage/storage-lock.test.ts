import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { LockHeldError } from "../model/errors.js";
import { lockStorage, STATE_DIR } from "./storage-lock.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "regsweep-lock-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const lockFile = () => join(root, STATE_DIR, "lock");

it("a second run is refused while the first holds the lock, and gets it once released", async () => {
  const first = await lockStorage(root);
  await expect(lockStorage(root)).rejects.toBeInstanceOf(LockHeldError);
  await first.release();
  await (await lockStorage(root)).release();
  await expect(readFile(lockFile())).rejects.toMatchObject({ code: "ENOENT" });
});

// Without conditional writes a slower writer can put its lock over ours; letting go must not remove theirs.
it("releasing leaves a lock that is no longer ours", async () => {
  const lock = await lockStorage(root);
  const theirs = JSON.stringify({ pid: process.pid, host: hostname(), since: "other run" });
  await writeFile(lockFile(), theirs);
  await lock.release();
  expect(await readFile(lockFile(), "utf8")).toBe(theirs);
  await expect(lockStorage(root)).rejects.toBeInstanceOf(LockHeldError);
});

it("a lock whose process is gone (same host) is taken over", async () => {
  const lock = await lockStorage(root);
  await writeFile(
    lockFile(),
    JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "killed run" }),
  );
  await (await lockStorage(root)).release();
  await lock.release();
  await expect(readFile(lockFile())).rejects.toMatchObject({ code: "ENOENT" });
});
