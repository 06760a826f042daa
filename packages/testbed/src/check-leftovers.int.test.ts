import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { isStillRunning, processStartTicks } from "./process-ledger.js";
import { cacheDir, repoRoot } from "./repo-root.js";

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

// Two clones running CI at once: the other's Swift servers (chdir'd to /, run folder in /tmp) are not ours.
it("scripts/check-leftovers.sh counts a server naming a /tmp/regsweep-* run folder only when the folder's owner is this clone", async () => {
  const root = repoRoot();
  const since = processStartTicks(process.pid) as number;
  const check = () =>
    run("bash", [join(root, "scripts/check-leftovers.sh"), "processes", String(since)], { cwd: root }).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ""}${e.stderr ?? ""}`,
    );
  /** A server as the test bed leaves one: reparented, working directory /, its run folder on the command line. */
  const startServer = async (owner: string) => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-swift-"));
    await writeFile(join(dir, "owner"), `${owner}\n`);
    const { stdout } = await run(
      "setsid",
      [
        "bash",
        "-c",
        'cd / && { exec -a "swift-proxy-server $0/etc/proxy-server.conf" sleep 120; } >/dev/null 2>&1 & echo $!',
        dir,
      ],
      { cwd: root },
    );
    const pid = Number(stdout.trim());
    return { dir, pid, ticks: processStartTicks(pid) as number };
  };
  const servers = [await startServer(cacheDir()), await startServer("/elsewhere/other-clone/.cache")];
  const [ours, theirs] = servers as [(typeof servers)[0], (typeof servers)[0]];
  try {
    const out = await check();
    expect(out).toContain(`pid ${ours.pid} (cwd /): swift-proxy-server ${ours.dir}/etc/proxy-server.conf`);
    expect(out).not.toContain(`pid ${theirs.pid} `);
  } finally {
    for (const s of servers) process.kill(s.pid, "SIGKILL");
    for (const s of servers)
      for (let i = 0; i < 100 && isStillRunning(s.pid, s.ticks); i++)
        await new Promise((r) => setTimeout(r, 50));
    for (const s of servers) await rm(s.dir, { recursive: true, force: true });
  }
});
