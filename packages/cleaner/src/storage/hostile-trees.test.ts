import { mkdtemp, rm, writeFile } from "node:fs/promises";
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
import { pathFor } from "./storage-paths.js";

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

describe("deleting a repository that keeps a young upload (grace > 0)", { timeout: 30_000 }, () => {
  it.each([
    ["nothing else", undefined],
    ["a stray in _uploads", "_uploads/.DS_Store"],
    ["a stray in the upload's own folder", "_uploads/young/.DS_Store"],
  ] as const)(
    "with %s: the upload and the folders holding it stay unplanned, a second run plans nothing",
    async (_, stray) => {
      const { app, ...rest } = hostileBaseSpec.repositories;
      const root = await useStorageTree({
        repositories: {
          ...rest,
          app: {
            ...app,
            uploads: [
              { id: "young", ageMs: 60_000 },
              { id: "old", ageMs: 3 * 3_600_000 },
            ],
          },
        },
      });
      const repo = pathFor({ kind: "repository", repository: "app" });
      if (stray) await writeFile(join(root, repo, stray), "x");
      const requests: PlanRequest[] = [{ kind: "delete-repository", repository: "app" }];
      const grace = { graceMs: 3_600_000 };
      const plan = planDeletion(await readStorageInventory(root), requests, grace);
      const young = pathFor({ kind: "upload-dir", repository: "app", upload: "young" });
      expect(
        plan.actions.filter((a) => a.type === "upload").map((a) => (a as { upload: string }).upload),
      ).toEqual(["old"]);
      // Nothing that holds the young upload can be emptied: no prune is planned for it.
      const holders = plan.actions.filter((a) => a.type === "prune" && young.startsWith(`${a.path}/`));
      expect(holders).toEqual([]);
      const report = await applyPlan(root, plan);
      expect(report.skipped).toEqual([]);
      expect((await treeShape(root)).has(young)).toBe(true);
      const again = planDeletion(await readStorageInventory(root), requests, grace);
      expect(again.actions, "a second run plans nothing").toEqual([]);
    },
  );
});
