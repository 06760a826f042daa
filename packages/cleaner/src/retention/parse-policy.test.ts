import { describe, expect, it } from "vitest";
import { labelDigest } from "./inventory-fixture.js";
import { parseDigestList, parsePolicy } from "./parse-policy.js";
import { parseWindowDate } from "./parse-window-date.js";
import { PolicyError } from "./policy-error.js";

const D1 = labelDigest("one");
const D2 = labelDigest("two");

describe("parsePolicy", () => {
  it("reads a full rule", () => {
    const policy = parsePolicy(
      `rules:
  - name: releases
    repositories: {include: ["app/*", "/^lib/"], exclude: app/legacy}
    tags: {exclude: "/-dirty$/"}
    keep:
      last: {count: 3, order: semver, groupBy: "/^(\\\\w+)-/"}
      tags: [latest, "v*"]
      newerThan: {age: 30d, by: created}
      outsideWindow: {before: "2016-06-25T12:00:00", after: 2016-01-01}
      digests: [${D1}]
    untagged: {olderThan: 7d}
`,
    );
    expect(policy.rules).toEqual([
      {
        name: "releases",
        repositories: { include: [{ glob: "app/*" }, { regex: "^lib" }], exclude: [{ glob: "app/legacy" }] },
        tags: { include: [], exclude: [{ regex: "-dirty$" }] },
        keep: [
          { kind: "last", count: 3, order: "semver", groupBy: "^(\\w+)-" },
          { kind: "tags", patterns: [{ glob: "latest" }, { glob: "v*" }] },
          { kind: "newer-than", ageMs: 30 * 86_400_000, by: "created" },
          {
            kind: "outside-window",
            beforeMs: Date.UTC(2016, 5, 25, 12),
            afterMs: Date.UTC(2016, 0, 1),
            by: "created",
          },
          { kind: "digests", digests: [D1] },
        ],
        untaggedOlderThanMs: 7 * 86_400_000,
        line: 2,
      },
    ]);
  });

  it("is a superset of cleanreg's repositories file, plain and as YAML", () => {
    const plain = parsePolicy("# comment\nmysql 5\napp/web 2\n");
    const yaml = parsePolicy("repositories:\n  mysql: 5\n  app/web: 2\n");
    for (const p of [plain, yaml]) {
      expect(p.rules.map((r) => r.keep)).toEqual([
        [{ kind: "last", count: 5, order: "pushed" }],
        [{ kind: "last", count: 2, order: "pushed" }],
      ]);
      expect(p.rules[0]?.repositories.include).toEqual([{ regex: "^mysql$" }]);
    }
  });

  it("reads an allow-list file through the caller", () => {
    const policy = parsePolicy("rules:\n  - keep: {digests: {file: deployed.txt}}\n", {
      readDigestFile: (path) => (path === "deployed.txt" ? `# deployed\n${D1}\napp@${D2}\n` : ""),
    });
    expect(policy.rules[0]?.keep).toEqual([{ kind: "digests", digests: [D1, D2], source: "deployed.txt" }]);
  });

  const errors: Array<[string, string, number]> = [
    ["a typo in a key", "rules:\n  - name: x\n    keep:\n      lsat: 3\n", 4],
    ["a typo in a rule key", "rules:\n  - name: x\n    kep: {last: 3}\n", 3],
    ["an unknown order", "rules:\n  - keep:\n      last: {count: 2, order: date}\n", 3],
    ["a negative count", "rules:\n  - keep: {last: -1}\n", 2],
    ["a bad duration", "rules:\n  - keep: {newerThan: soon}\n", 2],
    ["a bad regex", 'rules:\n  - repositories: "/(/"\n    keep: {}\n', 2],
    ["a bad date", "rules:\n  - keep:\n      outsideWindow: {before: yesterday}\n", 3],
    ["a bad digest", "rules:\n  - keep: {digests: [sha256:abc]}\n", 2],
    ["a rule without keep", "rules:\n  - name: x\n", 2],
    ["no rules at all", "rules: []\n", 1],
    ["broken YAML", "rules:\n  - keep: {last: 3\n", 3],
    ["a duplicate key", "rules:\n  - keep: {}\n    keep: {}\n", 3],
  ];
  it.each(errors)("rejects %s with the line", (_what, text, line) => {
    let error: unknown;
    try {
      parsePolicy(text, { source: "p.yml" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe("policy.invalid");
    expect((error as PolicyError).line).toBe(line);
  });
});

describe("parseDigestList / parseWindowDate", () => {
  it("rejects a line that is not a digest, naming the line", () => {
    expect(() => parseDigestList(`${D1}\nnope\n`)).toThrow(PolicyError);
    try {
      parseDigestList(`${D1}\nnope\n`);
    } catch (e) {
      expect((e as PolicyError).line).toBe(2);
    }
  });
  it.each([
    ["2016-06-25T12:00:00", Date.UTC(2016, 5, 25, 12)],
    ["2016-06-25", Date.UTC(2016, 5, 25)],
    ["2016-06-25T12:00:00+02:00", Date.UTC(2016, 5, 25, 10)],
  ])("%s", (text, ms) => {
    expect(parseWindowDate(text)).toBe(ms);
  });
});

describe("docs/retention-example.yml", () => {
  it("is a valid policy (with its allow-list file)", async () => {
    const { loadPolicy } = await import("./load-policy.js");
    const { repoRoot } = await import("@regsweep/testbed");
    const policy = await loadPolicy(`${repoRoot()}/docs/retention-example.yml`);
    expect(policy.rules.map((r) => r.name)).toEqual([
      "mysql: last 5",
      "tools/ci-runner: last 3",
      "releases",
      "branches",
      "nightlies",
      "seed-style window",
    ]);
    expect(policy.rules[2]?.keep.find((c) => c.kind === "digests")).toMatchObject({
      digests: [expect.any(String)],
    });
  });
});
