import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import {
  isStillRunning,
  PROCESS_LEDGER_ENV,
  readLedger,
  TEST_FILE_ENV,
  trackProcess,
} from "./process-ledger.js";
import { describeLeftovers, stillRunning, stopLeftovers } from "./stop-leftovers.js";

// A private ledger per test, so this file's own records (in the run's ledger) are not touched.
let dir = "";
let saved: string | undefined;
beforeEach(() => {
  saved = process.env[PROCESS_LEDGER_ENV];
  dir = mkdtempSync(join(tmpdir(), "regsweep-ledger-test-"));
  process.env[PROCESS_LEDGER_ENV] = dir;
});
afterEach(() => {
  process.env[PROCESS_LEDGER_ENV] = saved;
  rmSync(dir, { recursive: true, force: true });
});

const sleeper = () => trackProcess(spawn("sleep", ["30"], { stdio: "ignore" }), { kind: "sleeper" });
const exited = (child: ReturnType<typeof sleeper>) => new Promise((r) => child.once("exit", r));

it("records a started process with its start time and test file, and drops the record when it exits", async () => {
  const child = sleeper();
  const [record] = readLedger(dir);
  expect(record).toMatchObject({ type: "process", kind: "sleeper", pid: child.pid, command: "sleep 30" });
  expect(record?.testFile).toBe(process.env[TEST_FILE_ENV]);
  expect(record?.type === "process" && isStillRunning(record.pid, record.startTicks)).toBe(true);
  const done = exited(child);
  child.kill();
  await done;
  expect(readLedger(dir)).toEqual([]);
});

it("a process still running is found for its test file, and the sweep stops it and names the file", async () => {
  const child = sleeper();
  const done = exited(child);
  const testFile = process.env[TEST_FILE_ENV] ?? "";
  expect((await stillRunning(dir, testFile)).map((r) => r.type === "process" && r.pid)).toEqual([child.pid]);
  expect(await stillRunning(dir, "another.test.ts")).toEqual([]);
  const leftovers = await stopLeftovers(dir);
  expect(leftovers.map((l) => l.outcome)).toEqual(["stopped"]);
  await done;
  expect(describeLeftovers(leftovers, process.cwd())).toContain(
    `packages/testbed/src/process-ledger.test.ts: sleeper process ${child.pid} (sleep 30) — stopped`,
  );
});

it("a record whose pid now belongs to another process (other start time) is not touched", async () => {
  const child = sleeper();
  const [record] = readLedger(dir);
  expect(record?.type).toBe("process");
  if (record?.type !== "process") return;
  expect(isStillRunning(record.pid, record.startTicks + 1)).toBe(false);
  const done = exited(child);
  child.kill();
  await done;
  expect(await stopLeftovers(dir)).toEqual([]);
});
