import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { trackProcess } from "@regsweep/testbed";
import { expect, it } from "vitest";
import { useBucketAndTree } from "./test-support/bucket-and-tree.js";
import { REGSWEEP_BIN, runRegsweep } from "./test-support/run-regsweep.js";
import { writeSyntheticTree } from "./test-support/synthetic-tree.js";

// The short S3 variant of bench/kill-fuzz.mjs (invariant 3): a generated tree in a bucket, the built CLI's
// `gc -m` killed with -9 at random points; after every kill `check` finds every tag whole, and the re-run
// converges to the keys one uninterrupted run leaves on a copy of the tree (no lock, no journal left).
// Needs the built CLI (pnpm build).
const s3 = useBucketAndTree("kill");
const { server, env, at } = s3;
const gcArgs = (prefix: string) => ["gc", "-m", "--grace", "0", "--yes", "--quiet", ...at(prefix)];

/** Every file of the synthetic tree, under `prefix` in the bucket; answers how many. */
const upload = (prefix: string): Promise<number> => s3.bucket.putTree(prefix, s3.tree);

function gcKilledAfter(prefix: string, ms: number): Promise<{ code: number | null; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = trackProcess(
      spawn(process.execPath, [REGSWEEP_BIN, ...gcArgs(prefix)], {
        env: { ...process.env, NO_COLOR: "1", HOME: tmpdir(), ...env },
        stdio: ["ignore", "ignore", "ignore"],
      }),
      { kind: "regsweep-cli" },
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, killed: signal === "SIGKILL" });
    });
  });
}

const keysBelow = async (prefix: string) =>
  (await s3.bucket.keys(`${prefix}/`)).map((k) => k.slice(prefix.length + 1));

it("kill -9 during gc -m on a bucket: every tag stays whole, the re-run converges to one run's keys", async () => {
  await writeSyntheticTree(s3.tree, { manifests: 80, seed: 11 });
  const written = await upload("reference");
  await upload("killed");

  const once = await runRegsweep(gcArgs("reference"), { env });
  expect(once.code, once.stderr).toBe(0);
  const expected = await keysBelow("reference");
  expect(expected.length).toBeLessThan(written);

  // Random points, spread over reading, planning and deleting (a run here takes a few seconds).
  let kills = 0;
  let seed = 5;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 6; round++) {
    const result = await gcKilledAfter("killed", 300 + Math.floor(next() * 4_000));
    if (result.killed) kills++;
    const check = await runRegsweep(["check", "--json", ...at("killed")], { env });
    expect(check.code, `after kill ${round}: ${check.stderr}`).toBe(0);
    const report = JSON.parse(check.stdout) as { summary: { tags: number; okTags: number } };
    expect(report.summary.okTags).toBe(report.summary.tags);
  }
  expect(kills, "no run was killed: the kill points are all past a whole run").toBeGreaterThan(0);
  console.log(`${server.kind}: ${kills} of 6 runs killed, check whole after each`);

  const last = await runRegsweep(gcArgs("killed"), { env });
  expect(last.code, last.stderr).toBe(0);
  expect(await keysBelow("killed")).toEqual(expected);
}, 420_000); // 180 s on Swift beside other engineers' benchmarks
