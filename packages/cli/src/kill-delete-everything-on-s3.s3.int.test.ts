import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { trackProcess } from "@regsweep/testbed";
import { expect, it } from "vitest";
import { useBucketAndTree } from "./test-support/bucket-and-tree.js";
import { REGSWEEP_BIN, runRegsweep } from "./test-support/run-regsweep.js";
import { writeSyntheticTree } from "./test-support/synthetic-tree.js";

// Invariants 3 and 4 together on a bucket: a `delete` of every repository, killed with -9 just before one of
// its S3 requests (REGSWEEP_TEST_KILL_AT_S3_REQUEST), then run again, leaves the prefix without a single key:
// no registry data, and none of regsweep's own (its lock, its journal). The last requests of a run are the
// end of the journal and the lock's release: a kill there empties the tree but leaves regsweep's folder, and
// the re-run finds a prefix with nothing below docker/registry/v2/, which is no tree (exit 3 by design).
// Needs the built CLI (pnpm build).
const s3 = useBucketAndTree("kill-all");
const { server, env, at } = s3;

/** The repositories of a tree on disk: the folders that hold `_manifests`. */
async function repositoriesIn(dir: string): Promise<string[]> {
  const base = join(dir, "docker/registry/v2/repositories");
  return (await readdir(base, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name === "_manifests")
    .map((e) => relative(base, e.parentPath))
    .sort();
}

/** Runs the CLI, killed by its own hook just before its S3 request number `n` (from 0). */
function runKilledAt(n: number, args: string[]): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = trackProcess(
      spawn(process.execPath, [REGSWEEP_BIN, ...args], {
        env: {
          ...process.env,
          NO_COLOR: "1",
          HOME: tmpdir(),
          ...env,
          REGSWEEP_TEST_KILL_AT_S3_REQUEST: String(n),
        },
        stdio: ["ignore", "ignore", "ignore"],
      }),
      { kind: "regsweep-cli" },
    );
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
}

const keysBelow = async (prefix: string) =>
  (await s3.bucket.keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1));

it("delete everything killed -9 at its last requests (journal end, lock release) and before: the re-run leaves no key", async () => {
  await writeSyntheticTree(s3.tree, { manifests: 12, repositories: 2, seed: 7 });
  const repositories = await repositoriesIn(s3.tree);
  expect(repositories.length).toBe(2);
  const deleteAll = (prefix: string) => ["delete", ...repositories, "--grace", "0", "--yes", ...at(prefix)];

  // One run to the end: it leaves nothing, and says (-v) how many requests it sent.
  await s3.bucket.putTree("whole", s3.tree);
  const whole = await runRegsweep([...deleteAll("whole"), "-v"], { env });
  expect(whole.code, whole.stderr).toBe(0);
  expect(await keysBelow("whole")).toEqual([]);
  const sent = Number(/s3: (\d+) requests/.exec(whole.stderr)?.[1]);
  expect(sent).toBeGreaterThan(20);

  // Every one of the last 8 requests (the last deletions, the journal's end, the lock's release), and a few
  // spread over reading, locking, journaling and deleting.
  const points = [
    ...new Set([3, Math.floor(sent / 4), Math.floor(sent / 2), Math.floor((3 * sent) / 4)]),
    ...Array.from({ length: 8 }, (_, i) => sent - 8 + i),
  ];
  const exits: string[] = [];
  for (const n of points) {
    const prefix = `killed-at-${n}`;
    await s3.bucket.putTree(prefix, s3.tree);
    const killed = await runKilledAt(n, deleteAll(prefix));
    expect(killed.signal, `the run to be killed at request ${n} ended by itself`).toBe("SIGKILL");
    const again = await runRegsweep(deleteAll(prefix), { env });
    // 0: it finished the plan (resumed, or planned afresh); 3: the kill came after the last deletion, and
    // the prefix it finds holds no tree any more.
    expect([0, 3], `re-run after a kill at request ${n}: ${again.stderr}`).toContain(again.code);
    expect(await keysBelow(prefix), `keys left after a kill at request ${n} and a re-run`).toEqual([]);
    exits.push(`${n}:${again.code}`);
  }
  // The window this is about was hit: some kill came after the tree was empty, before regsweep's own was.
  expect(exits.some((e) => e.endsWith(":3"))).toBe(true);
  console.log(`${server.kind}: ${sent} requests a run; re-run exit by kill point ${exits.join(" ")}`);
}, 420_000);
