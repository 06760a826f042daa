import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it, onTestFinished } from "vitest";
import { isStillRunning, processStartTicks } from "./process-ledger.js";
import { repoRoot } from "./repo-root.js";

const run = promisify(execFile);
const FIXTURE = "packages/testbed/src/leak-fixture/leaks-a-registry.fixture.ts";

// The leak fixture is outside every project's include; it runs only here, in a vitest of its own.
it("a registry a test file forgets is stopped by the global teardown, which fails the run naming that file", async () => {
  const root = repoRoot();
  // The forgotten registry's config and storage folders outlive its process (the teardown stops processes):
  // the child run makes them in a temporary folder of this test's, removed at its end.
  const scratch = await mkdtemp(join(tmpdir(), "regsweep-leak-guard-"));
  onTestFinished(() => rm(scratch, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", TMPDIR: scratch };
  delete env.REGSWEEP_PROCESS_LEDGER; // the child run keeps its own ledger
  delete env.REGSWEEP_TEST_FILE;
  const child = await run(
    process.execPath,
    [
      join(root, "node_modules/vitest/vitest.mjs"),
      "run",
      "--config",
      "packages/testbed/src/leak-fixture/vitest.config.ts",
    ],
    { cwd: root, env, timeout: 90_000 },
  ).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code,
      output: `${e.stdout ?? ""}${e.stderr ?? ""}`,
    }),
  );
  expect(child.code, child.output).toBe(1);
  // The test itself passes; the file fails at its end for what it left running...
  expect(child.output, child.output).toMatch(/Tests\s+1 passed/);
  expect(child.output).toMatch(/this test file left 1 process\(es\) or container\(s\) running/);
  // ...and the run's teardown stops it, naming the file.
  const line = child.output.split("\n").find((l) => l.includes(`${FIXTURE}: registry process`));
  expect(line, child.output).toMatch(/registry process (\d+) \(.*registry serve .*config\.yml\) — stopped$/);
  const pid = Number(/registry process (\d+)/.exec(line ?? "")?.[1]);
  const ticks = processStartTicks(pid);
  expect(
    ticks !== undefined && isStillRunning(pid, ticks),
    `registry ${pid} still runs after the teardown`,
  ).toBe(false);
});
