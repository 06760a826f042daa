import { execFile } from "node:child_process";
import { relative } from "node:path";
import { promisify } from "node:util";
import { isStillRunning, type LedgerRecord, readLedger } from "./process-ledger.js";

const run = promisify(execFile);

/** A recorded process or container that was still running when the ledger was swept, and was stopped then. */
export interface Leftover {
  record: LedgerRecord;
  /** How it ended: `stopped` (SIGTERM, or container removed), `killed` (needed SIGKILL), or why not. */
  outcome: "stopped" | "killed" | `not stopped: ${string}`;
}

/**
 * Stops every process and container of a ledger that is still running (a pid counts only with the start
 * time it was recorded with) and returns them; records of things that already ended are ignored.
 */
export async function stopLeftovers(ledgerDir: string): Promise<Leftover[]> {
  const leftovers = await Promise.all(
    readLedger(ledgerDir).map(async (record): Promise<Leftover | undefined> => {
      if (record.type === "process") {
        if (!isStillRunning(record.pid, record.startTicks)) return undefined;
        return { record, outcome: await stopProcess(record.pid, record.startTicks) };
      }
      if (!(await containerExists(record.id, record.dockerHost))) return undefined;
      return { record, outcome: await removeContainer(record.id, record.dockerHost) };
    }),
  );
  return leftovers.filter((l): l is Leftover => l !== undefined);
}

/**
 * The records of one test file whose process still runs or whose container still exists, after giving
 * processes a moment to end (a stop that was signalled but not awaited). Stops nothing.
 */
export async function stillRunning(ledgerDir: string, testFile: string): Promise<LedgerRecord[]> {
  const mine = readLedger(ledgerDir).filter((r) => r.testFile === testFile);
  const running = await Promise.all(
    mine.map(async (record) => {
      if (record.type === "container") return (await containerExists(record.id, record.dockerHost)) && record;
      for (let waited = 0; waited < 2_000; waited += 50) {
        if (!isStillRunning(record.pid, record.startTicks)) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return record;
    }),
  );
  return running.filter((r): r is LedgerRecord => r !== false);
}

/** One line naming a record: what it is, and its pid and command or its container id. */
export function describeRecord(record: LedgerRecord): string {
  return record.type === "process"
    ? `${record.kind} process ${record.pid} (${record.command})`
    : `${record.kind} container ${record.id.slice(0, 12)}`;
}

/** The failure message: one line per leftover, naming the test file that started it. */
export function describeLeftovers(leftovers: readonly Leftover[], root: string): string {
  const lines = leftovers.map(({ record, outcome }) => {
    const file = record.testFile.startsWith("/") ? relative(root, record.testFile) : record.testFile;
    return `  ${file}: ${describeRecord(record)} — ${outcome}`;
  });
  return [
    `${leftovers.length} process(es) or container(s) outlived the test file that started them ` +
      "(stop each in the test, e.g. with `await using`):",
    ...lines,
  ].join("\n");
}

async function stopProcess(pid: number, startTicks: number): Promise<Leftover["outcome"]> {
  const alive = () => isStillRunning(pid, startTicks);
  try {
    process.kill(pid, "SIGTERM");
  } catch (error) {
    return alive() ? `not stopped: ${(error as Error).message}` : "stopped";
  }
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (!alive()) return "stopped";
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // ended just now
  }
  return "killed";
}

function dockerEnv(dockerHost: string | undefined): NodeJS.ProcessEnv {
  return { ...process.env, ...(dockerHost ? { DOCKER_HOST: dockerHost } : {}) };
}

async function containerExists(id: string, dockerHost: string | undefined): Promise<boolean> {
  try {
    await run("docker", ["inspect", "--format", "{{.Id}}", id], {
      env: dockerEnv(dockerHost),
      timeout: 20_000,
    });
    return true;
  } catch {
    return false; // no such container (or no engine any more, so nothing runs there either)
  }
}

async function removeContainer(id: string, dockerHost: string | undefined): Promise<Leftover["outcome"]> {
  try {
    await run("docker", ["rm", "--force", id], { env: dockerEnv(dockerHost), timeout: 60_000 });
    return "stopped";
  } catch (error) {
    return `not stopped: ${(error as Error).message.split("\n")[0]}`;
  }
}
