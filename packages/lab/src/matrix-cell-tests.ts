import { availableRegistryVersions } from "@regsweep/testbed";
import { afterAll, beforeAll, describe, test } from "vitest";
import { connectDocker } from "./docker-client.js";
import { findExpectedDifference } from "./expected-differences.js";
import type { FixtureMode } from "./fixture-mode.js";
import { FixtureSet } from "./fixture-set.js";
import { verdictOf } from "./matrix.js";
import { runScenarioCell } from "./scenario-runner.js";
import { allScenarios } from "./scenarios/all-scenarios.js";

/**
 * One vitest test per matrix cell (every version setup.sh cached × every scenario) in one fixture mode; a
 * file per mode, so CI runs the modes as separate lab test files. A skipped cell passes as a test and says
 * why on stdout; an unprepared machine fails in beforeAll instead of skipping.
 */
export function describeMatrixCells(mode: FixtureMode): void {
  const versions = availableRegistryVersions();
  let fixtures: FixtureSet | undefined;

  beforeAll(async () => {
    const [first] = versions;
    if (first === undefined)
      throw new Error("no registry version in .cache/registries: run scripts/setup.sh");
    // Built once for the whole file: the build is the slow part, pushes are cheap.
    fixtures = await FixtureSet.build(await connectDocker(), first);
  });

  afterAll(async () => {
    await fixtures?.dispose();
  });

  describe.each(versions)(`registry %s, ${mode} fixtures`, (version) => {
    test.each(allScenarios.map((s) => [s.name, s] as const))("%s", async (_name, scenario) => {
      if (!fixtures) throw new Error("fixtures were not built");
      const cell = await runScenarioCell(scenario, version, fixtures, {
        runtime: "process",
        fixtureMode: mode,
      });
      const verdict = verdictOf(cell, findExpectedDifference(version, scenario.name));
      if (verdict === "skip") console.log(`skip ${version} × ${scenario.name} (${mode}): ${cell.error}`);
      if (verdict === "FAIL" || verdict === "unexpected-pass") {
        throw new Error(
          `${version} × ${scenario.name} (${mode} fixtures): ${verdict}\n${cell.error ?? ""}\n${cell.log.join("\n")}`,
        );
      }
    });
  });
}
