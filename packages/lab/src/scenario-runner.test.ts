import { registryVersions } from "@regsweep/testbed";
import { describe, expect, test } from "vitest";
import { fixtureModes } from "./fixture-mode.js";
import type { FixtureSet } from "./fixture-set.js";
import { planCell, registryArgv, regsweepArgv, runScenarioCell } from "./scenario-runner.js";
import { allScenarios } from "./scenarios/all-scenarios.js";

// Skipping is decided from the version table before any registry starts, so every version of the table
// can be checked here, also those this machine cannot run.
const noFixtures = {} as FixtureSet;

describe("which cells are skipped, from the version table's data", () => {
  const cases = fixtureModes.flatMap((mode) =>
    registryVersions.flatMap((v) => allScenarios.map((s) => ({ mode, version: v, scenario: s }))),
  );
  test.each(
    cases
      .filter(({ mode, version, scenario }) => planCell(scenario, version, mode).skipReason !== undefined)
      .map(({ mode, version, scenario }) => [mode, version.version, scenario.name, scenario] as const),
  )("%s: %s × %s is skipped, with its reason", async (mode, version, _name, scenario) => {
    const cell = await runScenarioCell(scenario, version, noFixtures, {
      runtime: "process",
      fixtureMode: mode,
    });
    expect(cell.status).toBe("skip");
    expect(cell.error).toBeTruthy();
  });

  test("a cell that takes schema1 starts its registry with the schema1 switch", () => {
    const v283 = registryVersions.find((v) => v.version === "2.8.3");
    if (!v283) throw new Error("2.8.3 is not in the table");
    const [first] = allScenarios;
    if (!first) throw new Error("no scenarios");
    expect(planCell(first, v283, "schema1")).toMatchObject({
      kinds: ["schema1"],
      schema1Compatibility: true,
    });
    expect(planCell(first, v283, "schema2")).toMatchObject({
      kinds: ["schema2", "manifest-list"],
      schema1Compatibility: false,
    });
  });

  test("schema1 fixtures on 3.x: every cell skipped, saying 3.x takes no schema1", () => {
    for (const v of registryVersions.filter((v) => v.version.startsWith("3."))) {
      for (const s of allScenarios) expect(planCell(s, v, "schema1").skipReason).toMatch(/schema1/);
    }
  });

  test("the upstream gc comparison applies exactly where garbage-collect has --delete-untagged", () => {
    const scenario = allScenarios.find(
      (s) => s.name === "upstream-gc-delete-untagged-compared-on-multi-arch",
    );
    if (!scenario) throw new Error("scenario missing");
    const applies = registryVersions
      .filter((v) => planCell(scenario, v, "native").skipReason === undefined)
      .map((v) => v.version);
    expect(applies).toEqual(["2.7.1", "2.8.2", "2.8.3", "3.0.0", "3.1.0", "3.1.1"]);
  });
});
describe("regsweepArgv", () => {
  test.each([
    { args: ["gc"], options: undefined, tail: ["--storage", "/r", "--yes", "--grace", "0"] },
    { args: ["gc"], options: { grace: "1h" }, tail: ["--storage", "/r", "--yes", "--grace", "1h"] },
    { args: ["ls"], options: undefined, tail: ["--storage", "/r"] },
  ])("$args $options", ({ args, options, tail }) => {
    expect(regsweepArgv("/r", args, options)).toEqual([...args, ...tail]);
  });

  test("a bucket is named by the registry's config file: --config in place of --storage", () => {
    expect(regsweepArgv(["--config", "/c.yml"], ["delete", "a:1"])).toEqual([
      "delete",
      "a:1",
      "--config",
      "/c.yml",
      "--yes",
      "--grace",
      "0",
    ]);
    expect(regsweepArgv(["--config", "/c.yml"], ["check"])).toEqual(["check", "--config", "/c.yml"]);
  });
});

describe("registryArgv", () => {
  test.each([
    { args: ["delete", "a:1"], tail: ["--registry", "http://r", "--yes", "--grace", "0"] },
    { args: ["retain", "--policy", "p"], tail: ["--registry", "http://r", "--yes", "--grace", "0"] },
    { args: ["ls"], tail: ["--registry", "http://r"] },
  ])("$args", ({ args, tail }) => {
    expect(registryArgv("http://r", args)).toEqual([...args, ...tail]);
  });
});
