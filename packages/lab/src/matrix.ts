import { availableRegistryVersions } from "@regsweep/testbed";
import type Docker from "dockerode";
import {
  type ExpectedDifference,
  expectedDifferences,
  findExpectedDifference,
} from "./expected-differences.js";
import { FixtureSet } from "./fixture-set.js";
import type { Scenario } from "./scenario.js";
import { type CellResult, type RegistryRuntime, runScenarioCell } from "./scenario-runner.js";

/** How the matrix runs registries (see `RegistryRuntime`). */
export type MatrixRuntime = RegistryRuntime;

/** What to run: the cross product of versions and scenarios on one runtime. */
export interface MatrixOptions {
  versions: readonly string[];
  scenarios: readonly Scenario[];
  runtime: MatrixRuntime;
  /** Cells known to fail (default: the lab's table). */
  expected?: readonly ExpectedDifference[];
  /** Called after each cell (the CLI prints a progress line). */
  onCell?: (cell: MatrixCell, done: number, total: number) => void;
}

/** A cell's verdict: as expected, failed unexpectedly, failed as the table says, or not applicable. */
export type CellVerdict = "pass" | "FAIL" | "expected-difference" | "skip" | "unexpected-pass";

/** One version × scenario cell with its verdict. */
export interface MatrixCell extends CellResult {
  verdict: CellVerdict;
  expectedReason?: string;
}

/** The matrix report: plain data, rendered as a table, JSON, Markdown and HTML. */
export interface MatrixReport {
  runtime: MatrixRuntime;
  startedAt: string;
  durationMs: number;
  versions: string[];
  scenarios: { name: string; description: string }[];
  cells: MatrixCell[];
  /** True when no cell failed unexpectedly. */
  ok: boolean;
}

/** Every version this machine can run (those `scripts/setup.sh` cached). */
export function defaultMatrixVersions(): string[] {
  return availableRegistryVersions();
}

/** The verdict for a cell result, given the expected-difference table. */
export function verdictOf(cell: CellResult, expected?: ExpectedDifference): CellVerdict {
  if (cell.status === "skip") return "skip";
  if (cell.status === "pass") return expected ? "unexpected-pass" : "pass";
  return expected ? "expected-difference" : "FAIL";
}

/**
 * Runs every scenario on every version, one fresh registry per cell. The fixture images are built once
 * (against a scratch registry of the first version) and pushed to each cell's registry.
 */
export async function runMatrix(docker: Docker, options: MatrixOptions): Promise<MatrixReport> {
  const started = Date.now();
  const table = options.expected ?? expectedDifferences;
  const cells: MatrixCell[] = [];
  const total = options.versions.length * options.scenarios.length;
  const [buildVersion] = options.versions;
  if (buildVersion !== undefined && total > 0) {
    const fixtures = await FixtureSet.build(docker, buildVersion);
    try {
      for (const version of options.versions) {
        for (const scenario of options.scenarios) {
          const result = await runScenarioCell(scenario, version, fixtures, options.runtime);
          const expected = findExpectedDifference(version, scenario.name, table);
          const cell: MatrixCell = {
            ...result,
            verdict: verdictOf(result, expected),
            ...(expected ? { expectedReason: expected.reason } : {}),
          };
          cells.push(cell);
          options.onCell?.(cell, cells.length, total);
        }
      }
    } finally {
      await fixtures.dispose();
    }
  }
  return {
    runtime: options.runtime,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    versions: [...options.versions],
    scenarios: options.scenarios.map((s) => ({ name: s.name, description: s.description })),
    cells,
    ok: cells.every((c) => c.verdict !== "FAIL"),
  };
}
