import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { RegsweepError } from "../model/errors.js";
import type { PlanRequest } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { actionFiles, actionStrays } from "../plan/plan-paths.js";
import {
  hostileBaseSpec,
  hostileCases,
  type Spoiled,
  treeShape,
  withoutHostile,
} from "../test-support/hostile-trees.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { applyPlan } from "./apply-plan.js";
import { readStorageInventory } from "./read-storage-inventory.js";

const gcUntagged: PlanRequest[] = [{ kind: "gc", deleteUntagged: true }];
const deleteAll: PlanRequest[] = ["app", "keep", "lib", "other"].map((repository) => ({
  kind: "delete-repository",
  repository,
}));

async function outsideDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "regsweep-outside-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * One run as the CLI makes it: read, plan, apply; then what a second run would plan (after deleting every
 * repository, a gc: the repositories are gone, and it must find nothing left to sweep).
 */
async function runTwice(root: string, requests: PlanRequest[]) {
  const plan = planDeletion(await readStorageInventory(root), requests, { graceMs: 0 });
  const report = await applyPlan(root, plan);
  const next = requests === deleteAll ? [{ kind: "gc", deleteUntagged: true } as const] : requests;
  const again = planDeletion(await readStorageInventory(root), next, { graceMs: 0 });
  return { plan, report, again };
}

/** The clean tree after `requests`, as the comparison for every hostile case. */
const cleanResult = new Map<string, Map<string, string>>();
async function cleanAfter(requests: PlanRequest[]): Promise<Map<string, string>> {
  const key = JSON.stringify(requests);
  const known = cleanResult.get(key);
  if (known) return known;
  const root = await useStorageTree(hostileBaseSpec);
  const { report, again } = await runTwice(root, requests);
  expect(report.skipped).toEqual([]);
  expect(again.actions).toEqual([]);
  const shape = await treeShape(root);
  cleanResult.set(key, shape);
  return shape;
}

describe.each([
  ["gc -m", gcUntagged],
  ["delete every repository", deleteAll],
] as const)(
  "%s on a tree with a stray entry finishes on the first run",
  { timeout: 30_000 },
  (label, requests) => {
    it.each(hostileCases.map((c) => [c.name, c] as const))("%s", async (_, hostile) => {
      const root = await useStorageTree(hostileBaseSpec);
      const outside = await outsideDir();
      const spoiled: Spoiled = await hostile.spoil(root, outside);
      const outsideBefore = await treeShape(outside);
      if (spoiled.precondition) {
        const before = await treeShape(root);
        const error = await readStorageInventory(root).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RegsweepError);
        expect((error as RegsweepError).code).toBe(spoiled.precondition);
        expect((error as RegsweepError).message).toContain(spoiled.hostile[0]);
        expect(await treeShape(root)).toEqual(before);
        expect(await treeShape(outside)).toEqual(outsideBefore);
        return;
      }
      const { plan, report, again } = await runTwice(root, requests);
      expect(report.staleRepositories, "no repository changed since planning").toEqual([]);
      expect(report.skipped.map((s) => s.why)).toEqual([]);
      expect(plan.findings.length, "the stray entry is a finding").toBeGreaterThan(0);
      expect(again.actions, "a second run plans nothing").toEqual([]);
      const after = await treeShape(root);
      const gone = (label === "gc -m" ? spoiled.goneAfterGc : spoiled.goneAfterDelete) ?? [];
      for (const path of gone) expect(after.has(path), `${path} went with its folder`).toBe(false);
      const kept = spoiled.hostile.filter((h) => !gone.includes(h));
      for (const path of kept) expect(after.has(path), `${path} is kept`).toBe(true);
      for (const path of gone)
        expect(
          plan.actions.some((a) => [...actionStrays(a), ...actionFiles(a)].includes(path)),
          `the plan names ${path}`,
        ).toBe(true);
      expect(withoutHostile(after, kept)).toEqual(withoutHostile(await cleanAfter(requests), kept));
      expect(await treeShape(outside), "nothing outside the root changed").toEqual(outsideBefore);
    });
  },
);
