import { findRegistryVersion } from "@regsweep/testbed";
import type { StorageDriver } from "./cell-storage.js";
import type { FixtureMode } from "./fixture-mode.js";
import type { CellVerdict } from "./matrix.js";
import type { Scenario } from "./scenario.js";
import { planCell } from "./scenario-runner.js";

/** A skipped cell and why, as every report prints it. */
export interface SkippedCell {
  scenario: string;
  reason: string;
}

/** One version's column of the matrix on one storage driver, in numbers: so a hole shows at a glance. */
export interface VersionSummary {
  version: string;
  storageDriver: StorageDriver;
  /** Cells in the column (scenarios × this version on this driver). */
  cells: number;
  /** Cells that ran (not skipped). */
  ran: number;
  passed: number;
  /** Failed as the expected-difference table says. */
  expectedDifferences: number;
  unexpectedPasses: number;
  /** Failed unexpectedly. */
  failed: number;
  skipped: SkippedCell[];
}

/** The cells of a report or plan, reduced to what the summary needs. */
export interface SummaryCell {
  version: string;
  scenario: string;
  verdict: CellVerdict;
  /** The storage driver it ran on; reports written before the storage dimension have none: `filesystem`. */
  storageDriver?: StorageDriver;
  /** For skipped cells: why. */
  error?: string;
}

/** The driver of a cell (a report from before the storage dimension ran everything on `filesystem`). */
export const driverOf = (cell: { storageDriver?: StorageDriver }): StorageDriver =>
  cell.storageDriver ?? "filesystem";

/** Per-version and driver counts of the given cells, in `versions` order, each version's drivers in `drivers` order. */
export function summarizeCells(
  versions: readonly string[],
  cells: readonly SummaryCell[],
  drivers: readonly StorageDriver[] = ["filesystem"],
): VersionSummary[] {
  return versions
    .flatMap((version) => drivers.map((storageDriver) => ({ version, storageDriver })))
    .map(({ version, storageDriver }) => {
      const mine = cells.filter((c) => c.version === version && driverOf(c) === storageDriver);
      const count = (verdict: CellVerdict) => mine.filter((c) => c.verdict === verdict).length;
      const skipped = mine
        .filter((c) => c.verdict === "skip")
        .map((c) => ({ scenario: c.scenario, reason: c.error ?? "no reason given" }));
      return {
        version,
        storageDriver,
        cells: mine.length,
        ran: mine.length - skipped.length,
        passed: count("pass"),
        expectedDifferences: count("expected-difference"),
        unexpectedPasses: count("unexpected-pass"),
        failed: count("FAIL"),
        skipped,
      };
    });
}

/**
 * What the version table says a matrix run will do, before anything runs: per version, how many cells
 * run and which are skipped (and why). Works for every version of the table, also those this machine
 * cannot run; the cells that run are counted as `ran` (they have not passed yet).
 */
export function planMatrixSummary(
  versions: readonly string[],
  scenarios: readonly Scenario[],
  mode: FixtureMode,
  drivers: readonly StorageDriver[] = ["filesystem"],
): VersionSummary[] {
  const cells = versions.flatMap((version) =>
    drivers.flatMap((storageDriver) =>
      scenarios.map((scenario): SummaryCell => {
        const { skipReason } = planCell(scenario, findRegistryVersion(version), mode, storageDriver);
        const cell = { version, scenario: scenario.name, storageDriver };
        return skipReason !== undefined
          ? { ...cell, verdict: "skip", error: skipReason }
          : { ...cell, verdict: "pass" };
      }),
    ),
  );
  return summarizeCells(versions, cells, drivers).map((s) => ({ ...s, passed: 0 }));
}
