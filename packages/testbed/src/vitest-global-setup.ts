import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROCESS_LEDGER_ENV } from "./process-ledger.js";
import { describeLeftovers, stopLeftovers } from "./stop-leftovers.js";

/**
 * vitest global setup: opens this run's process ledger (workers and their children inherit its path) and,
 * at teardown, stops whatever recorded process or container still runs and fails the run naming the test
 * file that started it. vitest only logs a teardown error, so the exit code is set here.
 */
export default function setup(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "regsweep-ledger-"));
  process.env[PROCESS_LEDGER_ENV] = dir;
  return async () => {
    const leftovers = await stopLeftovers(dir);
    rmSync(dir, { recursive: true, force: true });
    if (leftovers.length === 0) return;
    process.exitCode = 1;
    console.error(`\n${describeLeftovers(leftovers, process.cwd())}\n`);
    const error = new Error("the test run left processes or containers running (listed above)");
    error.stack = error.message; // vitest prints the stack: where the teardown threw says nothing here
    throw error;
  };
}
