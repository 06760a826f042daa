import { registryVersions } from "@regsweep/testbed";
import { describe, expect, test } from "vitest";
import type { FixtureSet } from "./fixture-set.js";
import { registryArgv, regsweepArgv, runScenarioCell } from "./scenario-runner.js";
import { allScenarios } from "./scenarios/all-scenarios.js";

// Skipping is decided from the version table before any registry starts, so every version of the table
// can be checked here, also those this machine cannot run.
const noFixtures = {} as FixtureSet;

describe("which cells are skipped, from the version table's data", () => {
  const cases = registryVersions.flatMap((v) => allScenarios.map((s) => ({ version: v, scenario: s })));
  test.each(
    cases
      .filter(
        ({ version, scenario }) =>
          (scenario.requires ?? []).some((k) => !version.accepts.includes(k)) ||
          scenario.skipReason?.(version) !== undefined,
      )
      .map(({ version, scenario }) => [version.version, scenario.name, scenario] as const),
  )("%s × %s is skipped", async (version, _name, scenario) => {
    const cell = await runScenarioCell(scenario, version, noFixtures);
    expect(cell.status).toBe("skip");
    expect(cell.error).toBeTruthy();
  });

  test("on 2.2 (schema1 only) just the schema1 scenario applies", () => {
    const v22 = registryVersions.find((v) => v.version === "2.2.1");
    expect(v22).toBeDefined();
    const applies = allScenarios
      .filter(
        (s) => (s.requires ?? []).every((k) => v22?.accepts.includes(k)) && !(v22 && s.skipReason?.(v22)),
      )
      .map((s) => s.name);
    expect(applies).toEqual(["schema1-images-delete-untagged-and-repository"]);
  });

  test("the upstream gc comparison applies exactly where garbage-collect has --delete-untagged", () => {
    const scenario = allScenarios.find(
      (s) => s.name === "upstream-gc-delete-untagged-compared-on-multi-arch",
    );
    const applies = registryVersions
      .filter((v) => scenario?.skipReason?.(v) === undefined)
      .map((v) => v.version);
    expect(applies).toEqual(["2.7.1", "2.8.2", "2.8.3", "3.0.0"]);
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
