import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Plan } from "../model/plan.js";
import { Journal } from "./journal.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function planWith(n: number): Plan {
  return {
    format: "regsweep.plan/v1",
    backend: "storage",
    source: "/x",
    createdAtMs: 1,
    requests: [{ kind: "gc", deleteUntagged: true }],
    options: { graceMs: 0, uploadMaxAgeMs: 1, prune: false },
    actions: Array.from({ length: n }, (_, i) => ({
      type: "prune" as const,
      path: `docker/registry/v2/blobs/sha256/${i}`,
      reason: "r",
    })),
    kept: [],
    snapshots: [],
    summary: {
      tags: 0,
      manifests: 0,
      layerLinks: 0,
      uploads: 0,
      blobs: 0,
      bytesFreed: 0,
      repositoriesRemoved: [],
    },
    findings: [],
  };
}

describe("Journal", () => {
  it.each([0, 1, 2500])(
    "writes a plan of %i actions that reads back equal, and keeps progress when the same plan begins again",
    async (n) => {
      const root = await mkdtemp(join(tmpdir(), "regsweep-journal-"));
      dirs.push(root);
      const plan = planWith(n);
      const journal = await Journal.begin(root, plan);
      expect(JSON.parse(await readFile(join(root, ".regsweep/journal-plan.json"), "utf8"))).toEqual(plan);
      await journal.record([0, 1]);
      await Journal.begin(root, plan);
      expect((await Journal.pending(root))?.done).toEqual(new Set([0, 1]));
      await Journal.begin(root, planWith(n + 1));
      expect((await Journal.pending(root))?.done).toEqual(new Set());
      await journal.finish();
      expect(await Journal.pending(root)).toBeUndefined();
    },
  );
});
