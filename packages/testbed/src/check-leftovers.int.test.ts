import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { isStillRunning, processStartTicks } from "./process-ledger.js";
import { repoRoot } from "./repo-root.js";

const run = promisify(execFile);

// What .ci/run calls after the tests: a process from the clone that lost its parent must be listed.
it("scripts/check-leftovers.sh fails naming an orphaned process that runs from the clone, and passes once it ends", async () => {
  const root = repoRoot();
  const since = processStartTicks(process.pid) as number;
  // sh starts sleep in the background and exits: the sleep is reparented away from this worker, as a leak is.
  const { stdout } = await run("setsid", ["sh", "-c", "sleep 120 >/dev/null 2>&1 & echo $!"], { cwd: root });
  const pid = Number(stdout.trim());
  const ticks = processStartTicks(pid) as number;
  const check = () =>
    run("bash", [join(root, "scripts/check-leftovers.sh"), "processes", String(since)], { cwd: root }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code,
        out: `${e.stdout ?? ""}${e.stderr ?? ""}`,
      }),
    );
  try {
    const leaked = await check();
    expect(leaked.code, leaked.out).toBe(1);
    expect(leaked.out).toContain(`pid ${pid} (cwd ${root}): sleep 120`);
  } finally {
    process.kill(pid, "SIGKILL");
  }
  for (let i = 0; i < 100 && isStillRunning(pid, ticks); i++) await new Promise((r) => setTimeout(r, 50));
  // Other tests of this run may still have registries up; only this pid's line is asserted gone.
  expect((await check()).out).not.toContain(`pid ${pid} `);
});
