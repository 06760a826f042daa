import { describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { type FixtureRepo, fixtureInventory, labelDigest } from "./inventory-fixture.js";
import { planRetention, tagSemver } from "./plan-retention.js";
import type { KeepCondition, RetentionRule } from "./policy.js";

const DAY = 86_400_000;
const NOW = 1_000 * DAY;

function rule(keep: KeepCondition[], extra: Partial<RetentionRule> = {}): RetentionRule {
  return {
    name: extra.name ?? "r",
    repositories: { include: [], exclude: [] },
    tags: { include: [], exclude: [] },
    keep,
    ...extra,
  };
}

/** The tags a policy deletes in one repository `app`, sorted. */
function deletedTags(repo: FixtureRepo, rules: RetentionRule[], createdAt?: Map<Digest, number>): string[] {
  const inv = fixtureInventory({ app: repo }, NOW);
  const { requests } = planRetention(inv, { rules }, { nowMs: NOW, ...(createdAt ? { createdAt } : {}) });
  return requests.flatMap((r) => (r.kind === "delete-tag" ? [r.tag] : [])).sort();
}

const tags = (...names: string[]): FixtureRepo["tags"] => names.map((n, i) => [n, `img-${n}`, i * DAY]);

describe("planRetention: each keep condition", () => {
  const cases: Array<{
    name: string;
    repo: FixtureRepo;
    rules: RetentionRule[];
    deleted: string[];
    createdAt?: Map<Digest, number>;
  }> = [
    {
      name: "last N by semver: v10 sorts after v9 (not lexically)",
      repo: { tags: tags("v10", "v9", "v8", "v1") },
      rules: [rule([{ kind: "last", count: 2, order: "semver" }])],
      deleted: ["v1", "v8"],
    },
    {
      name: "last N by semver: pre-releases sort before their release",
      repo: { tags: tags("1.0.0", "1.1.0", "1.1.0-rc.1", "1.1.0-beta.2", "0.9.0") },
      rules: [rule([{ kind: "last", count: 2, order: "semver" }])],
      deleted: ["0.9.0", "1.0.0", "1.1.0-beta.2"],
    },
    {
      name: "last N by semver never deletes 'latest' for sorting first: unorderable tags are kept",
      repo: { tags: tags("latest", "1.0.0", "2.0.0", "3.0.0") },
      rules: [rule([{ kind: "last", count: 1, order: "semver" }])],
      deleted: ["1.0.0", "2.0.0"],
    },
    {
      name: "last N by name is natural order (build-10 after build-9)",
      repo: { tags: tags("build-10", "build-9", "build-2") },
      rules: [rule([{ kind: "last", count: 2, order: "name" }])],
      deleted: ["build-2"],
    },
    {
      name: "last N by push time (link mtimes), whatever the names",
      repo: {
        tags: [
          ["z", "img-z", 1 * DAY],
          ["a", "img-a", 3 * DAY],
          ["m", "img-m", 2 * DAY],
        ],
      },
      rules: [rule([{ kind: "last", count: 1, order: "pushed" }])],
      deleted: ["m", "z"],
    },
    {
      name: "last N by image creation time; unknown creation time is kept",
      repo: { tags: tags("a", "b", "c", "d") },
      rules: [rule([{ kind: "last", count: 1, order: "created" }])],
      createdAt: new Map([
        [labelDigest("img-a"), 30],
        [labelDigest("img-b"), 10],
        [labelDigest("img-c"), 20],
      ]),
      deleted: ["b", "c"],
    },
    {
      name: "last N counts tags, not digests: three tags on one digest are three",
      repo: {
        tags: [
          ["1", "img-old", 1],
          ["2", "img-x", 2],
          ["3", "img-x", 3],
          ["4", "img-x", 4],
        ],
      },
      rules: [rule([{ kind: "last", count: 2, order: "pushed" }])],
      // 2 is not among the last 2 tags: its tag goes, its image stays with 3 and 4.
      deleted: ["1", "2"],
    },
    {
      name: "last N per group (regex capture): per branch prefix",
      repo: { tags: tags("main-1", "main-2", "main-3", "dev-1", "dev-2", "dev-3") },
      rules: [rule([{ kind: "last", count: 1, order: "name", groupBy: "^([a-z]+)-" }])],
      deleted: ["dev-1", "dev-2", "main-1", "main-2"],
    },
    {
      name: "tags by glob and regex",
      repo: { tags: tags("latest", "v1", "v2", "release-1", "pr-5") },
      rules: [
        rule([{ kind: "tags", patterns: [{ glob: "latest" }, { glob: "v*" }, { regex: "^release-.*" }] }]),
      ],
      deleted: ["pr-5"],
    },
    {
      name: "newer than a duration (push time)",
      repo: {
        tags: [
          ["old", "img-old", NOW - 40 * DAY],
          ["new", "img-new", NOW - 2 * DAY],
        ],
      },
      rules: [rule([{ kind: "newer-than", ageMs: 30 * DAY, by: "pushed" }])],
      deleted: ["old"],
    },
    {
      name: "deletion window (-b/-a): only tags created inside it go",
      repo: { tags: tags("early", "inside", "late") },
      rules: [rule([{ kind: "outside-window", afterMs: 10, beforeMs: 30, by: "created" }])],
      createdAt: new Map([
        [labelDigest("img-early"), 5],
        [labelDigest("inside"), 0],
        [labelDigest("img-inside"), 20],
        [labelDigest("img-late"), 40],
      ]),
      deleted: ["inside"],
    },
    {
      name: "digests in an allow-list (what is deployed)",
      repo: { tags: tags("a", "b") },
      rules: [rule([{ kind: "digests", digests: [labelDigest("img-b")], source: "deployed.txt" }])],
      deleted: ["a"],
    },
  ];
  it.each(cases)("$name", ({ repo, rules, deleted, createdAt }) => {
    expect(deletedTags(repo, rules, createdAt)).toEqual(deleted);
  });
});

describe("planRetention: composition", () => {
  const cases: Array<{ name: string; repo: FixtureRepo; rules: RetentionRule[]; deleted: string[] }> = [
    {
      name: "keep wins: one rule keeps what another would delete",
      repo: { tags: tags("latest", "1.0.0", "2.0.0") },
      rules: [
        rule([{ kind: "last", count: 1, order: "semver" }], { name: "versions" }),
        rule([{ kind: "tags", patterns: [{ glob: "latest" }, { glob: "1.0.0" }] }], { name: "pins" }),
      ],
      deleted: [],
    },
    {
      name: "conditions in one rule are alternatives: last 1 or latest",
      repo: { tags: tags("latest", "1", "2", "3") },
      rules: [
        rule([
          { kind: "last", count: 1, order: "semver" },
          { kind: "tags", patterns: [{ glob: "latest" }] },
        ]),
      ],
      deleted: ["1", "2"],
    },
    {
      name: "tags outside every rule's tag selection stay (the seed's --include/--exclude)",
      repo: { tags: tags("0.1.1", "0.1.2", "0.1.3", "0.2.0", "keep-me") },
      rules: [
        rule([{ kind: "last", count: 1, order: "name" }], {
          tags: { include: [{ regex: "^0\\.1\\." }], exclude: [{ regex: "0\\.1\\.2" }] },
        }),
      ],
      deleted: ["0.1.1"],
    },
    {
      name: "a rule that selects other repositories touches nothing here",
      repo: { tags: tags("1", "2") },
      rules: [rule([], { repositories: { include: [{ glob: "other/*" }], exclude: [] } })],
      deleted: [],
    },
    {
      name: "repository exclusions win over inclusions",
      repo: { tags: tags("1", "2") },
      rules: [rule([], { repositories: { include: [{ regex: "." }], exclude: [{ glob: "app" }] } })],
      deleted: [],
    },
    {
      name: "a tag on a kept tag's digest goes alone (the seed's clean_old_versions: busy:1 beside busy:2)",
      repo: {
        tags: [
          ["old", "img-shared", 1],
          ["stable", "img-shared", 2],
          ["x", "img-x", 3],
        ],
      },
      rules: [rule([{ kind: "tags", patterns: [{ glob: "stable" }] }])],
      deleted: ["old", "x"],
    },
    {
      name: "referrer tags follow their subject, not the count",
      repo: {
        tags: [
          ["1", "img-1", 1],
          ["2", "img-2", 2],
          [`sha256-${labelDigest("img-2").slice(7)}.sig`, "sig-2", 3],
        ],
      },
      rules: [rule([{ kind: "last", count: 1, order: "name" }])],
      deleted: ["1"],
    },
  ];
  it.each(cases)("$name", ({ repo, rules, deleted }) => {
    expect(deletedTags(repo, rules)).toEqual(deleted);
  });

  it("reports a kept sibling and which rule kept what", () => {
    const inv = fixtureInventory(
      {
        app: {
          tags: [
            ["a", "img-s", 1],
            ["b", "img-s", 2],
            ["c", "img-c", 3],
          ],
        },
      },
      NOW,
    );
    const { decisions } = planRetention(
      inv,
      { rules: [rule([{ kind: "tags", patterns: [{ glob: "b" }] }], { name: "pin-b" })] },
      { nowMs: NOW },
    );
    const by = Object.fromEntries(decisions.map((d) => [d.tag, d]));
    expect(by.a).toMatchObject({ action: "delete", cause: "shared-digest" });
    expect(by.b).toMatchObject({ action: "keep", cause: "rule", rules: ["pin-b"] });
    expect(by.c).toMatchObject({ action: "delete", cause: "rule", rules: ["pin-b"] });
  });
});

describe("planRetention: untagged manifests", () => {
  const repo: FixtureRepo = {
    tags: [["multi", "idx", 1]],
    indexes: { idx: ["amd64", "arm64"] },
    untagged: [
      ["old", NOW - 10 * DAY],
      ["young", NOW - 1 * DAY],
      ["deployed", NOW - 10 * DAY],
    ],
  };
  const decide = (extra: KeepCondition[] = []) => {
    const inv = fixtureInventory({ app: repo }, NOW);
    const r = planRetention(
      inv,
      {
        rules: [
          rule([{ kind: "tags", patterns: [{ glob: "*" }] }, ...extra], { untaggedOlderThanMs: 7 * DAY }),
        ],
      },
      { nowMs: NOW },
    );
    const plan = planDeletion(inv, r.requests, { nowMs: NOW });
    const deleted = plan.actions.flatMap((a) => (a.type === "revision" ? [a.digest] : []));
    return { ...r, deleted: new Set(deleted) };
  };

  it("deletes untagged manifests past the age threshold; children of a tagged index follow their parent", () => {
    const { deleted, decisions, requests } = decide();
    expect(requests).toEqual([{ kind: "delete-untagged", repository: "app", minAgeMs: 7 * DAY }]);
    expect(deleted).toEqual(new Set([labelDigest("old"), labelDigest("deployed")]));
    const child = decisions.find((d) => d.digest === labelDigest("amd64"));
    expect(child).toMatchObject({ action: "keep", cause: "follows-parent" });
  });

  it("never deletes an allow-listed untagged manifest", () => {
    const { deleted } = decide([{ kind: "digests", digests: [labelDigest("deployed")] }]);
    expect(deleted).toEqual(new Set([labelDigest("old")]));
  });

  it("leaves untagged manifests alone when no rule asks", () => {
    const inv = fixtureInventory({ app: repo }, NOW);
    const { requests } = planRetention(
      inv,
      { rules: [rule([{ kind: "tags", patterns: [{ glob: "*" }] }])] },
      { nowMs: NOW },
    );
    expect(requests).toEqual([]);
  });
});

describe("tagSemver", () => {
  it.each([
    ["v1.2.3", "1.2.3"],
    ["1.2", "1.2.0"],
    ["v10", "10.0.0"],
    ["1.0.0-rc.1", "1.0.0-rc.1"],
    ["latest", undefined],
    ["build-42", undefined],
  ])("%s → %s", (tag, version) => {
    expect(tagSemver(tag)?.version).toBe(version);
  });
});
