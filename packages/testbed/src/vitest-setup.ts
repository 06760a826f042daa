import { afterAll, expect } from "vitest";
import { PROCESS_LEDGER_ENV, TEST_FILE_ENV } from "./process-ledger.js";
import { describeRecord, stillRunning } from "./stop-leftovers.js";

// vitest setup file (runs in the worker before each test file): records made while this file runs, by this
// worker or by any child process it starts, name the file.
const testFile = expect.getState().testPath ?? "";
process.env[TEST_FILE_ENV] = testFile;

// Registered before the file's own hooks, so it runs after all of them: whatever this file started and
// did not stop fails the file here. The global teardown stops it (and fails the run naming this file).
afterAll(async () => {
  const ledger = process.env[PROCESS_LEDGER_ENV];
  if (!ledger || !testFile) return;
  const running = await stillRunning(ledger, testFile);
  if (running.length === 0) return;
  throw new Error(
    `this test file left ${running.length} process(es) or container(s) running (stop each in the test, ` +
      `e.g. with \`await using\`):\n${running.map((r) => `  ${describeRecord(r)}`).join("\n")}`,
  );
});
