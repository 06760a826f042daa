import { availableRegistryVersions, type StartedS3Server, startS3Server } from "@regsweep/testbed";
import { afterAll, beforeAll, describe, test } from "vitest";
import type { StorageDriver } from "./cell-storage.js";
import { connectDocker } from "./docker-client.js";
import { findExpectedDifference } from "./expected-differences.js";
import type { FixtureMode } from "./fixture-mode.js";
import { FixtureSet } from "./fixture-set.js";
import { verdictOf } from "./matrix.js";
import { runScenarioCell } from "./scenario-runner.js";
import { allScenarios } from "./scenarios/all-scenarios.js";

/**
 * One vitest test per matrix cell (every version setup.sh cached × every scenario) in one fixture mode and
 * storage driver; a file per mode (and one for s3), so CI runs them as separate lab test files. A skipped
 * cell passes as a test and says why on stdout; an unprepared machine fails in beforeAll instead of
 * skipping. On `s3` the file starts a real S3 server (`REGSWEEP_S3_SERVER`, Swift by default) and stops it
 * at the end; each cell gets a bucket of its own.
 */
export function describeMatrixCells(
  mode: FixtureMode,
  storageDriver: StorageDriver = "filesystem",
  pick: (available: string[]) => string[] = (available) => available,
): void {
  const versions = pick(availableRegistryVersions());
  let fixtures: FixtureSet | undefined;
  let s3Server: StartedS3Server | undefined;

  beforeAll(async () => {
    const [first] = versions;
    if (first === undefined)
      throw new Error("no registry version in .cache/registries: run scripts/setup.sh");
    if (storageDriver === "s3") s3Server = await startS3Server();
    // Built once for the whole file: the build is the slow part, pushes are cheap.
    fixtures = await FixtureSet.build(await connectDocker(), first);
  });

  afterAll(async () => {
    await s3Server?.stop();
    await fixtures?.dispose();
  });

  const where = storageDriver === "filesystem" ? "" : ` on ${storageDriver}`;
  describe.each(versions)(`registry %s, ${mode} fixtures${where}`, (version) => {
    test.each(allScenarios.map((s) => [s.name, s] as const))("%s", async (_name, scenario) => {
      if (!fixtures) throw new Error("fixtures were not built");
      if (storageDriver === "s3" && !s3Server) throw new Error("the S3 server did not start");
      const cell = await runScenarioCell(scenario, version, fixtures, {
        runtime: "process",
        fixtureMode: mode,
        storageDriver,
        ...(s3Server ? { s3Server } : {}),
      });
      const verdict = verdictOf(cell, findExpectedDifference(version, scenario.name));
      if (verdict === "skip")
        console.log(`skip ${version} × ${scenario.name} (${mode}${where}): ${cell.error}`);
      if (verdict === "FAIL" || verdict === "unexpected-pass") {
        throw new Error(
          `${version} × ${scenario.name} (${mode} fixtures${where}): ${verdict}\n${cell.error ?? ""}\n${cell.log.join("\n")}`,
        );
      }
    });
  });
}
