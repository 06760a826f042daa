import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isStoreMissing, Journal, STATE_DIR, type Store } from "@regsweep/cleaner";
import {
  catalog,
  expectNotPullable,
  expectPullable,
  pushBlob,
  pushManifest,
  type TestBlob,
  type TestManifest,
} from "@regsweep/testbed";
import { runRegsweep, spawnRegsweep } from "../regsweep-cli.js";
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
  /** The run ended on its own before the kill: the repository is gone. */
  finished?: boolean;
}

// The journal's files, polled on disk (a tight loop of synchronous reads: an apply takes under a second).
const PLAN_FILE = `${STATE_DIR}/journal-plan.json`;
const DONE_FILE = `${STATE_DIR}/journal-done`;
/** Kill points tried on a bucket: before the run's DeleteObjects number 1, 2, … */
const S3_KILL_POINTS = 12;

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

/** Distinct action indexes in a journal's list of actions done (a resumed run journals again what it redoes). */
function journaledCount(doneText: string | undefined): number {
  return new Set((doneText ?? "").split("\n").filter((l) => l !== "")).size;
}

/** How far the journal in the store got, as the next run will read it (a folder, or objects in a bucket). */
async function journalOutcome(store: Store): Promise<KillOutcome> {
  const pending = await Journal.pending(store);
  if (!pending) return { midway: false, done: 0, actions: 0 };
  const { plan, done } = pending;
  return {
    midway: done.size > 0 && done.size < plan.actions.length,
    done: done.size,
    actions: plan.actions.length,
  };
}

/**
 * On a folder: runs `argv` with the registry stopped and SIGKILLs it once its journal on disk holds at least
 * `fraction` of the plan's actions (at least one).
 */
async function killMidwayOnDisk(
  ctx: ScenarioContext,
  argv: string[],
  fraction: number,
): Promise<KillOutcome> {
  const planFile = join(ctx.storage.root, PLAN_FILE);
  const doneFile = join(ctx.storage.root, DONE_FILE);
  const readDone = () => (existsSync(doneFile) ? readFileSync(doneFile, "utf8") : undefined);
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
      if (journaledCount(readDone()) >= wanted) break;
      await new Promise((r) => setImmediate(r));
    }
    const finished = child.exitCode === 0;
    child.kill("SIGKILL");
    await exited;
    return { ...(await journalOutcome(ctx.storage.store)), finished };
  });
}

/**
 * On a bucket: a delete's few batched requests are over before a poll of the bucket could see them, so the
 * run kills itself just before one of its DeleteObjects requests (the CLI's REGSWEEP_TEST_KILL_AT_S3_REQUEST
 * hook): try k kills the run before its DeleteObjects number k, until the journal holds more actions than
 * it did before (records come once per phase, so the first such kill is the furthest that is sure not to
 * be past the plan's end), or a run finishes on its own. A killed run that got no further than the one
 * before leaves the same journal, which the next run resumes.
 */
async function killMidwayOnBucket(ctx: ScenarioContext, argv: string[]): Promise<KillOutcome> {
  return ctx.offline(async () => {
    let outcome = await journalOutcome(ctx.storage.store);
    const before = outcome.done;
    for (let k = 1; k <= S3_KILL_POINTS; k++) {
      const at = `DeleteObjects:${k}`;
      const run = await runRegsweep(argv, ctx.signal, { REGSWEEP_TEST_KILL_AT_S3_REQUEST: at });
      if (run.signal !== "SIGKILL") {
        expectExit(run, 0, `a run not killed before ${at}`);
        ctx.log(`not killed before ${at}: the run finished`);
        return { ...outcome, midway: false, finished: true };
      }
      outcome = await journalOutcome(ctx.storage.store);
      ctx.log(`killed before ${at}: ${outcome.done}/${outcome.actions} actions journaled`);
      if (outcome.midway && outcome.done > before) return outcome;
    }
    return outcome;
  });
}

/**
 * kill -9 of `argv` once its journal shows progress: on a folder once at least `fraction` of the plan is
 * journaled, on a bucket at the first journal record past what was there.
 */
function killMidway(ctx: ScenarioContext, argv: string[], fraction: number): Promise<KillOutcome> {
  return ctx.storage.driver === "s3" ? killMidwayOnBucket(ctx, argv) : killMidwayOnDisk(ctx, argv, fraction);
}

/**
 * kill -9 during an apply: a `delete <repository>` of 200 tags is SIGKILLed once its journal shows it
 * started deleting (on a bucket: at a chosen S3 request, see killMidwayOnBucket), and its resumed re-run is
 * killed again later in the plan. The tags of another repository (sharing a layer) still pull, and running
 * the same command again converges: the repository is gone, only the other one is left, and so is no lock
 * or journal of regsweep's.
 */
export const killedApplyResumes: Scenario = {
  name: "killed-apply-resumes",
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
      if (!outcome.midway && !outcome.finished)
        expectExit(await ctx.regsweep(["delete", "--prune", repository]), 0, "finish a missed attempt");
    }
    check(outcome?.midway === true, `could not kill regsweep mid-way in ${ATTEMPTS} attempts`);

    for (const [tag, m] of kept) await expectPullable(ctx.host, `test/kept:${tag}`, m.digest);

    // The same command again resumes the journaled plan; kill that too, later in the plan (blobs, folders).
    const second = await killMidway(ctx, ctx.regsweepArgv(["delete", "--prune", repository]), 0.6);
    ctx.log(
      second.finished
        ? "resumed run: finished before the kill landed (it converged by itself)"
        : `resumed run: killed with ${second.done}/${second.actions} actions journaled`,
    );
    for (const [tag, m] of kept) await expectPullable(ctx.host, `test/kept:${tag}`, m.digest);

    // The same command as the killed run (--prune: the registry's own empty `_uploads` folder goes too).
    if (!second.finished)
      expectExit(await ctx.regsweep(["delete", "--prune", repository]), 0, "the same command again");
    const [state] = await ctx.storage.store.list([STATE_DIR]);
    check(
      isStoreMissing(state),
      `regsweep's lock or journal is still there after the re-run: ${JSON.stringify(state)}`,
    );
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
