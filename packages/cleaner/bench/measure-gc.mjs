// The steps both one-step runners measure (run-one.mjs on a storage root, s3-run-one.mjs on a bucket), on
// any store target the library takes: a root on disk or an open Store.
import {
  applyPlan,
  checkInventory,
  limitHeapGrowth,
  planDeletion,
  readStorageInventory,
} from "../dist/index.js";

const now = () => performance.now();

/**
 * `gc --delete-untagged --grace 0` as the CLI runs it, dry or real; fills `out` with phase timings, the
 * plan's summary and (real) the apply report's counts.
 */
export async function measureGc(target, mode, out, { ioThreads } = {}) {
  // As the CLI does: the process keeps its heap near what is live, and once planned only the plan is kept
  // (read and plan in a function of their own, so no frame of this module still holds the inventory).
  limitHeapGrowth();
  const readAndPlan = async () => {
    let t = now();
    const inventory = await readStorageInventory(target, { ioThreads });
    out.readMs = now() - t;
    t = now();
    const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: true }], {
      graceMs: 0,
      nowMs: Date.now(),
    });
    out.planMs = now() - t;
    out.findings = inventory.findings.length;
    return plan;
  };
  const plan = await readAndPlan();
  out.summary = {
    ...plan.summary,
    repositoriesRemoved: plan.summary.repositoriesRemoved.length,
    actions: plan.actions.length,
  };
  if (mode !== "real") return;
  const t = now();
  const report = await applyPlan(target, plan, { ioThreads });
  out.applyMs = now() - t;
  out.apply = {
    done: report.done,
    alreadyGone: report.alreadyGone,
    skipped: report.skipped.length,
    bytesFreed: report.bytesFreed,
  };
}

/** `check`: tags resolvable, orphans; fills `out.check`. */
export async function measureCheck(target, out) {
  const inventory = await readStorageInventory(target);
  const report = checkInventory(inventory);
  out.check = {
    ...report.summary,
    orphanRevisions: report.orphans.revisions.count,
    orphanLayerLinks: report.orphans.layerLinks.count,
    orphanBlobs: report.orphans.blobs.count,
    blobs: inventory.blobs.size,
    revisions: inventory.repositories.reduce((n, r) => n + r.revisions.length, 0),
    findings: inventory.findings.length,
  };
}
