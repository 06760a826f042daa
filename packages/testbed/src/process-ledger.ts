import type { ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The folder of this test run's ledger: one JSON record per process or container the test bed or the lab
 * started while a test file ran. The vitest global setup sets it (and every child process inherits it).
 * Without it, or outside a test file (a global setup owns what it starts and stops it in its teardown),
 * nothing is recorded and only the in-process last-chance kill below applies (e.g. `./dev matrix`).
 */
export const PROCESS_LEDGER_ENV = "REGSWEEP_PROCESS_LEDGER";
/** The test file running in this worker, set by the vitest setup file; records name it. */
export const TEST_FILE_ENV = "REGSWEEP_TEST_FILE";

/** What kind of thing a record is about: free text, but say what it is ("registry", "s3-server", "redis"). */
export type TrackedKind = string;

/** One record of the ledger: enough to find the thing again, stop it, and say who started it. */
export type LedgerRecord =
  | {
      type: "process";
      kind: TrackedKind;
      pid: number;
      /** Start time in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart. */
      startTicks: number;
      command: string;
      testFile: string;
      /** The process that started it (a vitest worker, or a child such as the lab's CLI). */
      recordedBy: number;
    }
  | {
      type: "container";
      kind: TrackedKind;
      id: string;
      /** The engine it runs on (`DOCKER_HOST` at the time), so the teardown asks the right one. */
      dockerHost: string | undefined;
      testFile: string;
      recordedBy: number;
    };

// Without a ledger (outside vitest), children a caller forgot are at least killed when this process exits
// normally. Under vitest that hook does not run when a worker is ended, which is why the ledger exists.
const unledgered = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of unledgered) child.kill("SIGKILL");
});

/**
 * Records a child process this code started so that the test run's global teardown stops it (and fails the
 * run naming the test file) if nobody else did. The record is dropped when the child exits. Call it right
 * after `spawn()`; returns the child.
 */
export function trackProcess<T extends ChildProcess>(child: T, info: { kind: TrackedKind }): T {
  const pid = child.pid;
  if (pid === undefined) return child; // spawn failed: nothing runs
  const dir = ledgerDir();
  const testFile = currentTestFile();
  if (!dir || !testFile) {
    unledgered.add(child);
    child.once("exit", () => unledgered.delete(child));
    return child;
  }
  const startTicks = processStartTicks(pid);
  if (startTicks === undefined) return child; // already gone
  const file = join(dir, `process-${pid}-${startTicks}.json`);
  write(file, {
    type: "process",
    kind: info.kind,
    pid,
    startTicks,
    command: child.spawnargs.join(" "),
    testFile,
    recordedBy: process.pid,
  });
  child.once("exit", () => rmSync(file, { force: true }));
  return child;
}

/**
 * Records a container this code created (by id) so that the global teardown removes it if it still exists
 * then. Removing the container is the caller's job; a removed container's record is harmless.
 */
export function trackContainer(id: string, info: { kind: TrackedKind }): void {
  const dir = ledgerDir();
  const testFile = currentTestFile();
  if (!dir || !testFile) return;
  write(join(dir, `container-${id}.json`), {
    type: "container",
    kind: info.kind,
    id,
    dockerHost: process.env.DOCKER_HOST,
    testFile,
    recordedBy: process.pid,
  });
}

/** Every record in a ledger folder (unreadable ones are skipped: a record is written in one call). */
export function readLedger(dir: string): LedgerRecord[] {
  const records: LedgerRecord[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".json")) continue;
    try {
      records.push(JSON.parse(readFileSync(join(dir, name), "utf8")) as LedgerRecord);
    } catch {
      // removed between listing and reading: its process exited
    }
  }
  return records;
}

/** The start time of a process in clock ticks since boot, or undefined if it does not exist. */
export function processStartTicks(pid: number): number | undefined {
  return procStat(pid)?.startTicks;
}

/**
 * Whether the process recorded as (pid, start time) still runs: not ended, not a reused pid, and not a
 * zombie (ended, but not yet reaped by a parent that is still alive).
 */
export function isStillRunning(pid: number, startTicks: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.startTicks === startTicks && stat.state !== "Z";
}

function procStat(pid: number): { state: string; startTicks: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const startTicks = Number(fields[19]);
  return Number.isFinite(startTicks) ? { state: fields[0] ?? "", startTicks } : undefined;
}

function ledgerDir(): string | undefined {
  return process.env[PROCESS_LEDGER_ENV] || undefined;
}

function currentTestFile(): string | undefined {
  return process.env[TEST_FILE_ENV] || undefined;
}

function write(file: string, record: LedgerRecord): void {
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record)}\n`);
}
