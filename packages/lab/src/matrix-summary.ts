import { findRegistryVersion } from "@regsweep/testbed";
import type { FixtureMode } from "./fixture-mode.js";
import type { CellVerdict } from "./matrix.js";
import type { Scenario } from "./scenario.js";
import { planCell } from "./scenario-runner.js";

/** A skipped cell and why, as every report prints it. */
export interface SkippedCell {
  scenario: string;
  reason: string;
}

/** One version's column of the matrix in numbers: so a hole shows at a glance. */
export interface VersionSummary {
  version: string;
  /** Cells in the column (scenarios × this version). */
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
  /** For skipped cells: why. */
  error?: string;
}

/** Per-version counts of the given cells, in `versions` order. */
export function summarizeCells(versions: readonly string[], cells: readonly SummaryCell[]): VersionSummary[] {
  return versions.map((version) => {
    const mine = cells.filter((c) => c.version === version);
    const count = (verdict: CellVerdict) => mine.filter((c) => c.verdict === verdict).length;
    const skipped = mine
      .filter((c) => c.verdict === "skip")
      .map((c) => ({ scenario: c.scenario, reason: c.error ?? "no reason given" }));
    return {
      version,
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
): VersionSummary[] {
  const cells = versions.flatMap((version) =>
    scenarios.map((scenario): SummaryCell => {
      const { skipReason } = planCell(scenario, findRegistryVersion(version), mode);
      return skipReason !== undefined
        ? { version, scenario: scenario.name, verdict: "skip", error: skipReason }
        : { version, scenario: scenario.name, verdict: "pass" };
    }),
  );
  return summarizeCells(versions, cells).map((s) => ({ ...s, passed: 0 }));
}
