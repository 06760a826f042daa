import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { clearStaleState } from "./stale-state.js";
import { STATE_DIR } from "./storage-lock.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "regsweep-stale-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const state = (name: string) => join(root, STATE_DIR, name);
const stateFiles = () => readdir(join(root, STATE_DIR)).then((names) => names.sort());
/** A lock as a process of this host that is gone wrote it (or a live one: this process). */
const lockOf = (pid: number) => JSON.stringify({ pid, host: hostname(), since: "an earlier run" });
const DEAD_PID = 2 ** 22 + 12345;

async function leave(files: Record<string, string>): Promise<void> {
  await mkdir(join(root, STATE_DIR), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(state(name), text);
}

it("a run killed after its journal's plan went: its lock and the journal's pieces go, and the folder with them", async () => {
  await leave({ lock: lockOf(DEAD_PID), "journal-done": "0\n1\n", "journal-plan.sha256": "ab" });
  await clearStaleState(root);
  await expect(readdir(join(root, STATE_DIR))).rejects.toMatchObject({ code: "ENOENT" });
});

it("a run killed while it began its journal: the plan's temp file goes", async () => {
  await leave({ lock: lockOf(DEAD_PID), "journal-plan.json.tmp": "{" });
  await clearStaleState(root);
  await expect(readdir(join(root, STATE_DIR))).rejects.toMatchObject({ code: "ENOENT" });
});

it("a journal with its plan is an apply to resume: it stays whole, only the dead lock goes", async () => {
  await leave({
    lock: lockOf(DEAD_PID),
    "journal-plan.json": "{}",
    "journal-done": "0\n",
    "journal-plan.sha256": "ab",
  });
  await clearStaleState(root);
  expect(await stateFiles()).toEqual(["journal-done", "journal-plan.json", "journal-plan.sha256"]);
});

it("a lock a live run holds stays, and so does everything beside it", async () => {
  await leave({ lock: lockOf(process.pid), "journal-done": "0\n" });
  await clearStaleState(root);
  expect(await stateFiles()).toEqual(["journal-done", "lock"]);
});

it("writes nothing where regsweep's folder is not (a tree never cleaned, a prefix that is no tree)", async () => {
  await clearStaleState(root);
  expect(await readdir(root)).toEqual([]);
});
