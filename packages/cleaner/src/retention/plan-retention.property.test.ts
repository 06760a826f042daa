import { image, layer } from "@regsweep/testbed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { Plan } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { applyPlan } from "../storage/apply-plan.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { treeFiles } from "../test-support/tree-files.js";
import { type FixtureRepo, fixtureInventory, labelDigest } from "./inventory-fixture.js";
import { compilePattern } from "./name-matcher.js";
import { planRetention } from "./plan-retention.js";
import type { KeepCondition, NamePattern, RetentionRule } from "./policy.js";

const DAY = 86_400_000;
const NOW = 100 * DAY;
const TAG_NAMES = [
  "latest",
  "v1",
  "v2",
  "v9",
  "v10",
  "1.0.0-rc.1",
  "1.0.0",
  "main-1",
  "main-2",
  "dev-1",
  "pr-7",
  "stable",
];
const PATTERNS: NamePattern[] = [
  { glob: "latest" },
  { glob: "v*" },
  { regex: "^main-" },
  { regex: "rc" },
  { glob: "*-1" },
];

const conditionArb: fc.Arbitrary<KeepCondition> = fc.oneof(
  fc.record({
    kind: fc.constant("last" as const),
    count: fc.integer({ min: 0, max: 4 }),
    order: fc.constantFrom("semver" as const, "name" as const, "pushed" as const, "created" as const),
  }),
  fc.record({ kind: fc.constant("tags" as const), patterns: fc.subarray(PATTERNS, { minLength: 1 }) }),
  fc.record({
    kind: fc.constant("newer-than" as const),
    ageMs: fc.integer({ min: 0, max: 60 }).map((d) => d * DAY),
    by: fc.constantFrom("pushed" as const, "created" as const),
  }),
);

const ruleArb: fc.Arbitrary<RetentionRule> = fc
  .record({
    name: fc.constantFrom("a", "b", "c"),
    repositories: fc.record({
      include: fc.subarray([{ glob: "app/*" }, { regex: "^lib" }] as NamePattern[]),
      exclude: fc.subarray([{ glob: "app/legacy" }] as NamePattern[]),
    }),
    tags: fc.record({
      include: fc.subarray([{ regex: "^v" }, { glob: "main-*" }] as NamePattern[], { maxLength: 1 }),
      exclude: fc.subarray([{ glob: "stable" }] as NamePattern[]),
    }),
    keep: fc.array(conditionArb, { maxLength: 3 }),
    untaggedOlderThanMs: fc.option(
      fc.integer({ min: 0, max: 30 }).map((d) => d * DAY),
      { nil: undefined },
    ),
  })
  .map((r) =>
    r.untaggedOlderThanMs === undefined ? { ...r, untaggedOlderThanMs: undefined } : r,
  ) as fc.Arbitrary<RetentionRule>;

const repoArb: fc.Arbitrary<FixtureRepo> = fc.record({
  tags: fc.uniqueArray(
    fc.tuple(
      fc.constantFrom(...TAG_NAMES),
      fc.constantFrom("m1", "m2", "m3", "m4", "m5"),
      fc.integer({ min: 0, max: 99 }).map((d) => d * DAY),
    ),
    { selector: (t) => t[0], maxLength: 10 },
  ),
  untagged: fc.uniqueArray(
    fc.tuple(
      fc.constantFrom("u1", "u2", "u3"),
      fc.integer({ min: 0, max: 99 }).map((d) => d * DAY),
    ),
    { selector: (t) => t[0], maxLength: 3 },
  ),
});

const worldArb = fc.record({
  repos: fc.dictionary(fc.constantFrom("app/web", "app/legacy", "lib", "tools"), repoArb, { minKeys: 1 }),
  rules: fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
  created: fc.array(
    fc.tuple(fc.constantFrom("m1", "m2", "m3", "m4", "m5"), fc.integer({ min: 0, max: 99 })),
    { maxLength: 5 },
  ),
});

/** Applies a plan to an in-memory inventory: tags, revisions and blobs it deletes disappear. */
function applyInMemory(inv: Inventory, plan: Plan): Inventory {
  const tags = new Set<string>();
  const revisions = new Set<string>();
  const blobs = new Set<string>();
  for (const a of plan.actions) {
    if (a.type === "tag") tags.add(`${a.repository}:${a.tag}`);
    if (a.type === "revision") revisions.add(`${a.repository}@${a.digest}`);
    if (a.type === "blob") blobs.add(a.digest);
  }
  return {
    ...inv,
    repositories: inv.repositories.map((r) => ({
      ...r,
      tags: r.tags.filter((t) => !tags.has(`${r.name}:${t.name}`)),
      revisions: r.revisions.filter((x) => !revisions.has(`${r.name}@${x.digest}`)),
    })),
    blobs: new Map([...inv.blobs].filter(([d]) => !blobs.has(d))),
  };
}

function plan(inv: Inventory, rules: RetentionRule[], createdAt: Map<Digest, number>) {
  const retention = planRetention(inv, { rules }, { nowMs: NOW, createdAt });
  const deletion =
    retention.requests.length > 0 ? planDeletion(inv, retention.requests, { nowMs: NOW }) : undefined;
  return { retention, deletion };
}

describe("planRetention properties (fast-check)", () => {
  it("nothing a rule keeps is ever deleted, and applying the plan twice is the same as once", () => {
    fc.assert(
      fc.property(worldArb, ({ repos, rules, created }) => {
        const inv = fixtureInventory(repos, NOW);
        const createdAt = new Map(created.map(([label, d]) => [labelDigest(label), d * DAY]));
        const { retention, deletion } = plan(inv, rules, createdAt);
        const deletedTags = new Set(
          deletion?.actions.flatMap((a) => (a.type === "tag" ? [`${a.repository}:${a.tag}`] : [])),
        );
        const deletedRevisions = new Set(
          deletion?.actions.flatMap((a) => (a.type === "revision" ? [`${a.repository}@${a.digest}`] : [])),
        );
        // Oracle, independent of the planner: tags a selecting rule keeps by name pattern.
        for (const repo of inv.repositories) {
          for (const r of rules) {
            const selects =
              (r.repositories.include.length === 0 ||
                r.repositories.include.some((p) => compilePattern(p)(repo.name))) &&
              !r.repositories.exclude.some((p) => compilePattern(p)(repo.name));
            if (!selects) continue;
            for (const c of r.keep) {
              if (c.kind !== "tags") continue;
              for (const t of repo.tags) {
                const inScope =
                  (r.tags.include.length === 0 || r.tags.include.some((p) => compilePattern(p)(t.name))) &&
                  !r.tags.exclude.some((p) => compilePattern(p)(t.name));
                if (inScope && c.patterns.some((p) => compilePattern(p)(t.name)))
                  expect(deletedTags.has(`${repo.name}:${t.name}`)).toBe(false);
              }
            }
          }
        }
        // Every decision to keep holds in the final plan: the tag stays and so does the manifest it names.
        for (const d of retention.decisions) {
          if (d.action !== "keep") continue;
          if (d.tag !== undefined) expect(deletedTags.has(`${d.repository}:${d.tag}`)).toBe(false);
          if (d.digest && (d.tag !== undefined || d.cause !== "untagged-age"))
            expect(deletedRevisions.has(`${d.repository}@${d.digest}`)).toBe(false);
        }
        // Idempotence: after applying, the same policy finds nothing more to delete.
        const after = deletion ? applyInMemory(inv, deletion) : inv;
        const again = plan(after, rules, createdAt);
        expect(again.deletion?.actions ?? []).toEqual([]);
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});

describe("planRetention on a real tree: applying the plan twice is the same as once", () => {
  it("a second apply and a second plan change nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom(...TAG_NAMES), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom("semver" as const, "name" as const),
        async (tagNames, count, order) => {
          const base = layer("base");
          const shared = image({ layers: [base], salt: "shared" });
          const root = await useStorageTree({
            repositories: {
              "app/web": {
                tags: Object.fromEntries(
                  tagNames.map((t, i) => [
                    t,
                    i % 3 === 0 ? shared : image({ layers: [base, layer(t)], salt: t }),
                  ]),
                ),
              },
            },
          });
          const rules: RetentionRule[] = [
            {
              name: "p",
              repositories: { include: [], exclude: [] },
              tags: { include: [], exclude: [] },
              keep: [{ kind: "last", count, order }],
            },
          ];
          const inv = await readStorageInventory(root);
          const retention = planRetention(inv, { rules }, { nowMs: Date.now() });
          if (retention.requests.length === 0) return;
          const p = planDeletion(inv, retention.requests);
          await applyPlan(root, p);
          const once = await treeFiles(root);
          await applyPlan(root, p);
          expect(await treeFiles(root)).toEqual(once);
          const again = planRetention(await readStorageInventory(root), { rules }, { nowMs: Date.now() });
          expect(again.requests).toEqual([]);
          const kept = retention.decisions.filter((d) => d.action === "keep").map((d) => d.tag);
          const left = (await readStorageInventory(root)).repositories[0]?.tags.map((t) => t.name) ?? [];
          for (const t of kept) expect(left).toContain(t);
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);
});
