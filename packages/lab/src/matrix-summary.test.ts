import { registryVersions } from "@regsweep/testbed";
import { describe, expect, test } from "vitest";
import { planMatrixSummary, summarizeCells } from "./matrix-summary.js";
import { allScenarios } from "./scenarios/all-scenarios.js";

const versions = registryVersions.map((v) => v.version);

describe("cells the version table says run, per version and fixture mode", () => {
  // The bar: 2.2.1 ≥ 17 of 20, 2.3–2.6 ≥ 18, 3.x ≥ 19; 2.7/2.8 in every mode as 2.2 / 2.3–2.6 would.
  test.each([
    { mode: "native", version: "2.2.1", ran: 17 },
    { mode: "native", version: "2.3.1", ran: 19 },
    { mode: "native", version: "2.4.1", ran: 19 },
    { mode: "native", version: "2.5.2", ran: 19 },
    { mode: "native", version: "2.6.2", ran: 19 },
    { mode: "native", version: "2.7.1", ran: 20 },
    { mode: "native", version: "2.8.3", ran: 20 },
    { mode: "native", version: "3.0.0", ran: 19 },
    { mode: "native", version: "3.1.0", ran: 19 },
    { mode: "native", version: "3.1.1", ran: 19 },
    { mode: "schema2", version: "2.8.2", ran: 20 },
    { mode: "schema1", version: "2.8.2", ran: 17 },
    { mode: "schema2", version: "2.2.1", ran: 0 },
    { mode: "schema1", version: "3.1.1", ran: 0 },
  ] as const)("$mode fixtures on $version: $ran of 20 run", ({ mode, version, ran }) => {
    const [summary] = planMatrixSummary([version], allScenarios, mode);
    expect(allScenarios).toHaveLength(20);
    expect(summary?.ran).toBe(ran);
    expect(summary?.skipped).toHaveLength(20 - ran);
    for (const skip of summary?.skipped ?? []) expect(skip.reason).toMatch(/\S/);
  });

  test("schema1 fixtures on 2.8 skip exactly what 2.2 skips natively, and schema2 on 2.8 what 2.3 does", () => {
    const names = (version: string, mode: "native" | "schema1" | "schema2") =>
      planMatrixSummary([version], allScenarios, mode)[0]?.skipped.map((s) => s.scenario);
    expect(names("2.8.2", "schema1")).toEqual(names("2.2.1", "native"));
    // 2.3 has no garbage-collect: only the upstream comparison differs.
    expect(names("2.3.1", "native")).toEqual(["upstream-gc-delete-untagged-compared-on-multi-arch"]);
    expect(names("2.8.2", "schema2")).toEqual([]);
  });
});

test("summarizeCells counts each verdict per version", () => {
  const cell = (version: string, verdict: "pass" | "FAIL" | "skip" | "expected-difference") => ({
    version,
    scenario: `${verdict}-${version}`,
    verdict,
    ...(verdict === "skip" ? { error: "because" } : {}),
  });
  const [a, b] = summarizeCells(
    ["2.8.2", "2.8.3"],
    [
      cell("2.8.2", "pass"),
      cell("2.8.2", "skip"),
      cell("2.8.3", "FAIL"),
      cell("2.8.3", "expected-difference"),
    ],
  );
  expect(a).toEqual({
    version: "2.8.2",
    storageDriver: "filesystem",
    cells: 2,
    ran: 1,
    passed: 1,
    expectedDifferences: 0,
    unexpectedPasses: 0,
    failed: 0,
    skipped: [{ scenario: "skip-2.8.2", reason: "because" }],
  });
  expect(b).toMatchObject({ cells: 2, ran: 2, passed: 0, failed: 1, expectedDifferences: 1, skipped: [] });
  expect(versions).toContain("3.1.1");
});

test("on s3 every seed scenario runs, as on a folder", () => {
  const [fs, s3] = planMatrixSummary(["2.8.3"], allScenarios, "native", ["filesystem", "s3"]);
  expect(fs).toMatchObject({ storageDriver: "filesystem", ran: 20 });
  expect(s3).toMatchObject({ storageDriver: "s3", ran: 20, skipped: [] });
});

test("a scenario that cannot run on a driver is skipped there only, with its reason", () => {
  const onlyOnDisk = {
    ...(allScenarios[0] as (typeof allScenarios)[number]),
    name: "only-on-disk",
    storageSkipReason: (driver: string) =>
      driver === "s3" ? "sets a file's mode, which S3 has not" : undefined,
  };
  const [fs, s3] = planMatrixSummary(["2.8.3"], [onlyOnDisk], "native", ["filesystem", "s3"]);
  expect(fs).toMatchObject({ ran: 1, skipped: [] });
  expect(s3).toMatchObject({
    ran: 0,
    skipped: [{ scenario: "only-on-disk", reason: "sets a file's mode, which S3 has not" }],
  });
});

test("summarizeCells splits a version by driver; cells without one are filesystem", () => {
  const [fs, s3] = summarizeCells(
    ["2.8.3"],
    [
      { version: "2.8.3", scenario: "a", verdict: "pass" },
      { version: "2.8.3", scenario: "a", verdict: "FAIL", storageDriver: "s3" },
    ],
    ["filesystem", "s3"],
  );
  expect(fs).toMatchObject({ storageDriver: "filesystem", passed: 1, failed: 0 });
  expect(s3).toMatchObject({ storageDriver: "s3", passed: 0, failed: 1 });
});
