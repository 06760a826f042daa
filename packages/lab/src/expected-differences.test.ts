import { describe, expect, test } from "vitest";
import {
  type ExpectedDifference,
  expectedDifferences,
  findExpectedDifference,
} from "./expected-differences.js";
import { allScenarios } from "./scenarios/all-scenarios.js";

const table: ExpectedDifference[] = [
  { scenario: "multi", where: { gc: "delete-untagged-unsafe" }, reason: "upstream -m breaks multi-arch" },
  { scenario: "head", where: { headManifest: false }, reason: "no HEAD on manifests" },
  { scenario: "one", where: { version: "2.8.2", gc: "delete-untagged-unsafe" }, reason: "only 2.8.2" },
];

describe("findExpectedDifference", () => {
  test.each([
    { version: "2.7.1", scenario: "multi", listed: true },
    { version: "2.8.3", scenario: "multi", listed: true },
    { version: "3.0.0", scenario: "multi", listed: false },
    { version: "2.6.2", scenario: "multi", listed: false },
    { version: "2.2.1", scenario: "head", listed: true },
    { version: "2.3.1", scenario: "head", listed: false },
    { version: "2.8.2", scenario: "one", listed: true },
    { version: "2.8.3", scenario: "one", listed: false },
    { version: "2.8.3", scenario: "other", listed: false },
  ])("$scenario on $version: listed $listed", ({ version, scenario, listed }) => {
    expect(findExpectedDifference(version, scenario, table) !== undefined).toBe(listed);
  });

  test("an unknown version is an error, not a silent no-match", () => {
    expect(() => findExpectedDifference("9.9.9", "multi", table)).toThrow(/unknown registry version/);
  });

  test("the lab's own table names only scenarios that exist", () => {
    const names = new Set(allScenarios.map((s) => s.name));
    for (const d of expectedDifferences) expect(names).toContain(d.scenario);
  });
});
