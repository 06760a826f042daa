import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  catalog,
  expectNotPullable,
  expectPullable,
  pushBlob,
  pushManifest,
  type TestBlob,
  type TestManifest,
} from "@regsweep/testbed";
import { spawnRegsweep } from "../regsweep-cli.js";
import { check, expectExit, type Scenario, type ScenarioContext } from "../scenario.js";
import { cellImage, cellLayer } from "../scenario-images.js";
import { listStorageFiles } from "../storage-tree.js";

const IMAGES = 200;
const KEPT_TAGS = 3;
const ATTEMPTS = 4;
const PUSH_CONCURRENCY = 8;

/** What a kill left: whether the journal shows a plan started but not finished. */
interface KillOutcome {
  midway: boolean;
  done: number;
  actions: number;
}

async function pushMany(ctx: ScenarioContext, repository: string, shared: TestBlob): Promise<void> {
  const images: [string, TestManifest][] = Array.from({ length: IMAGES }, (_, i) => [
    `t${i}`,
    cellImage(ctx, { layers: [shared, cellLayer(ctx, `${repository} image ${i}`)] }, repository, `t${i}`),
  ]);
  // The shared layer first: concurrent uploads of one blob to one repository race in the registry
  // (seen on 2.8.3: DIGEST_INVALID, then MANIFEST_BLOB_UNKNOWN for the manifest).
  await pushBlob({ url: ctx.url }, repository, shared);
  for (let at = 0; at < images.length; at += PUSH_CONCURRENCY) {
    await Promise.all(
      images
        .slice(at, at + PUSH_CONCURRENCY)
        .map(([tag, m]) => pushManifest({ url: ctx.url }, repository, m, tag)),
    );
  }
}

function journaledCount(doneFile: string): number {
  if (!existsSync(doneFile)) return 0;
  // A resumed run journals again what it redoes: count each action once.
  return new Set(
    readFileSync(doneFile, "utf8")
      .split("\n")
      .filter((l) => l !== ""),
  ).size;
}

/**
 * Runs `argv` with the registry stopped and SIGKILLs it once its journal holds at least `fraction` of the
 * plan's actions (at least one).
 */
async function killMidway(ctx: ScenarioContext, argv: string[], fraction: number): Promise<KillOutcome> {
  const state = join(ctx.storage.root, ".regsweep");
  const planFile = join(state, "journal-plan.json");
  const doneFile = join(state, "journal-done");
  return ctx.offline(async () => {
    const child = spawnRegsweep(argv, ctx.signal);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + 30_000;
    // A tight poll: the apply of a few hundred actions takes well under a second.
    let wanted = Number.POSITIVE_INFINITY;
    while (child.exitCode === null && Date.now() < deadline) {
      if (wanted === Number.POSITIVE_INFINITY && existsSync(planFile)) {
        try {
          const planned = JSON.parse(readFileSync(planFile, "utf8")) as { actions: unknown[] };
          wanted = Math.max(1, Math.floor(planned.actions.length * fraction));
        } catch {
          // still being written: read it on the next turn
        }
      }
      if (journaledCount(doneFile) >= wanted) break;
      await new Promise((r) => setImmediate(r));
    }
    child.kill("SIGKILL");
    await exited;
    if (!existsSync(planFile)) return { midway: false, done: 0, actions: 0 };
    const plan = JSON.parse(readFileSync(planFile, "utf8")) as { actions: unknown[] };
    const done = journaledCount(doneFile);
    return { midway: done > 0 && done < plan.actions.length, done, actions: plan.actions.length };
  });
}

/**
 * kill -9 during an apply: a `delete <repository>` of 200 tags is SIGKILLed once its journal shows it
 * started deleting, and its resumed re-run is killed again later in the plan. The tags of another repository (sharing a layer) still pull, and running the same
 * command again converges: the repository is gone and only the other one is left.
 */
export const killedApplyResumes: Scenario = {
  name: "killed-apply-resumes",
  // It times its kills by reading the journal's files in the tree's folder; on a bucket the journal is
  // objects of another shape (one per record), and kill -9 on s3 is proven by packages/cli/src/kill-on-s3.s3.int.test.ts.
  storageSkipReason: (driver) =>
    driver === "s3"
      ? "times its kills on the journal's files on disk; kill -9 on a bucket is covered by the CLI's kill-on-s3 test"
      : undefined,
  description: `delete of a ${IMAGES}-tag repository killed mid-way; kept tags elsewhere still pull; the same command again finishes`,
  async run(ctx) {
    // In the cell's best image kind (OCI, schema2 or schema1).
    const shared = cellLayer(ctx, "killed apply shared layer");
    const kept: [string, TestManifest][] = Array.from({ length: KEPT_TAGS }, (_, i) => [
      `k${i}`,
      cellImage(ctx, { layers: [shared, cellLayer(ctx, `kept ${i}`)] }, "test/kept", `k${i}`),
    ]);
    for (const [tag, m] of kept) await pushManifest({ url: ctx.url }, "test/kept", m, tag);

    // The apply may finish before the kill lands; each try uses a fresh repository and is finished anyway.
    let outcome: KillOutcome | undefined;
    let repository = "";
    for (let attempt = 1; attempt <= ATTEMPTS && !outcome?.midway; attempt++) {
      repository = `test/many-${attempt}`;
      await pushMany(ctx, repository, shared);
      outcome = await killMidway(ctx, ctx.regsweepArgv(["delete", "--prune", repository]), 0);
      ctx.log(`attempt ${attempt}: killed with ${outcome.done}/${outcome.actions} actions journaled`);
      if (!outcome.midway)
        expectExit(await ctx.regsweep(["delete", "--prune", repository]), 0, "finish a missed attempt");
    }
    check(outcome?.midway === true, `could not kill regsweep mid-way in ${ATTEMPTS} attempts`);

    for (const [tag, m] of kept) await expectPullable(ctx.host, `test/kept:${tag}`, m.digest);

    // The same command again resumes the journaled plan; kill that too, later in the plan (blobs, folders).
    const second = await killMidway(ctx, ctx.regsweepArgv(["delete", "--prune", repository]), 0.6);
    ctx.log(`resumed run: killed with ${second.done}/${second.actions} actions journaled`);
    for (const [tag, m] of kept) await expectPullable(ctx.host, `test/kept:${tag}`, m.digest);

    // The same command as the killed run (--prune: the registry's own empty `_uploads` folder goes too).
    expectExit(await ctx.regsweep(["delete", "--prune", repository]), 0, "the same command again");
    check(!existsSync(join(ctx.storage.root, ".regsweep")), "the journal is still there after the re-run");
    // The seed's notion of "no data": files count, folders the registry made (an empty `_uploads`) do not.
    const strays = (await listStorageFiles(ctx.storage.store)).filter(
      (f) => f.startsWith("repositories/") && !f.startsWith("repositories/test/kept/"),
    );
    check(strays.length === 0, `files left outside test/kept:\n  ${strays.join("\n  ")}`);
    const listed = await catalog(ctx.url);
    check(listed.join(",") === "test/kept", `catalog after the re-run: ${listed.join(",")}`);
    for (const [tag, m] of kept) await expectPullable(ctx.host, `test/kept:${tag}`, m.digest);
    await expectNotPullable(ctx.host, `${repository}:t0`);
    expectExit(await ctx.regsweep(["check"]), 0, "check after the re-run");
  },
};
