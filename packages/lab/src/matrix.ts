import { availableRegistryVersions } from "@regsweep/testbed";
import type Docker from "dockerode";
import {
  type ExpectedDifference,
  expectedDifferences,
  findExpectedDifference,
} from "./expected-differences.js";
import type { FixtureMode } from "./fixture-mode.js";
import { FixtureSet } from "./fixture-set.js";
import { summarizeCells, type VersionSummary } from "./matrix-summary.js";
import type { Scenario } from "./scenario.js";
import {
  CellInterruptedError,
  type CellResult,
  type RegistryRuntime,
  runScenarioCell,
} from "./scenario-runner.js";

/** How the matrix runs registries (see `RegistryRuntime`). */
export type MatrixRuntime = RegistryRuntime;

/** What to run: the cross product of versions and scenarios on one runtime. */
export interface MatrixOptions {
  versions: readonly string[];
  scenarios: readonly Scenario[];
  runtime: MatrixRuntime;
  /** Which manifest kinds fixtures and scenarios push (default `native`). */
  fixtureMode?: FixtureMode;
  /** Cells known to fail (default: the lab's table). */
  expected?: readonly ExpectedDifference[];
  /** Process runtime: this registry binary instead of the cached one (versions: the one it behaves as). */
  registryBinary?: string;
  /** Container runtime: this image instead of `regsweep/registry:<version>`. */
  registryImage?: string;
  /** Aborting it (Ctrl-C) stops the running cell cleanly and ends the run with `interrupted`. */
  signal?: AbortSignal;
  /** Called when a cell starts (the CLI prints what is running). */
  onCellStart?: (version: string, scenario: string, index: number, total: number) => void;
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
  fixtureMode: FixtureMode;
  startedAt: string;
  durationMs: number;
  versions: string[];
  scenarios: { name: string; description: string }[];
  /** A registry binary or image a maintainer pointed at, and the version whose behaviour row it took. */
  registry?: { binary?: string; image?: string; asVersion: string };
  cells: MatrixCell[];
  /** Per version: cells run, passed, expected differences, failures, and each skip with its reason. */
  summary: VersionSummary[];
  /** The run was interrupted (Ctrl-C): the cells after the last one listed did not run. */
  interrupted?: boolean;
  /** True when no cell failed unexpectedly and the run was not interrupted. */
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
  // Fixtures are built on a cached registry: a pointed-at binary's label may name a version not cached.
  const available = availableRegistryVersions();
  const buildVersion = options.versions.find((v) => available.includes(v)) ?? available[0];
  const source = {
    runtime: options.runtime,
    ...(options.registryBinary !== undefined ? { binary: options.registryBinary } : {}),
    ...(options.registryImage !== undefined ? { image: options.registryImage } : {}),
  };
  const { signal } = options;
  const fixtureMode = options.fixtureMode ?? "native";
  let interrupted = false;
  if (buildVersion !== undefined && total > 0 && !signal?.aborted) {
    const fixtures = await FixtureSet.build(docker, buildVersion);
    try {
      run: for (const version of options.versions) {
        for (const scenario of options.scenarios) {
          if (signal?.aborted) {
            interrupted = true;
            break run;
          }
          options.onCellStart?.(version, scenario.name, cells.length + 1, total);
          let result: CellResult;
          try {
            result = await runScenarioCell(scenario, version, fixtures, {
              ...source,
              fixtureMode,
              ...(signal ? { signal } : {}),
            });
          } catch (error) {
            if (!(error instanceof CellInterruptedError)) throw error;
            interrupted = true;
            break run;
          }
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
  interrupted ||= signal?.aborted === true;
  const asVersion = options.versions[0];
  return {
    runtime: options.runtime,
    fixtureMode,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    versions: [...options.versions],
    scenarios: options.scenarios.map((s) => ({ name: s.name, description: s.description })),
    ...((options.registryBinary !== undefined || options.registryImage !== undefined) &&
    asVersion !== undefined
      ? {
          registry: {
            ...(options.registryBinary !== undefined ? { binary: options.registryBinary } : {}),
            ...(options.registryImage !== undefined ? { image: options.registryImage } : {}),
            asVersion,
          },
        }
      : {}),
    cells,
    summary: summarizeCells(options.versions, cells),
    ...(interrupted ? { interrupted } : {}),
    ok: !interrupted && cells.every((c) => c.verdict !== "FAIL"),
  };
}
