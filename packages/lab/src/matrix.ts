import {
  availableRegistryVersions,
  type S3ServerKind,
  type StartedS3Server,
  s3ServerKindFromEnv,
  startS3Server,
} from "@regsweep/testbed";
import type Docker from "dockerode";
import type { StorageDriver } from "./cell-storage.js";
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

/** What to run: the cross product of versions, storage drivers and scenarios on one runtime. */
export interface MatrixOptions {
  versions: readonly string[];
  scenarios: readonly Scenario[];
  runtime: MatrixRuntime;
  /** The storage drivers each version runs every scenario on (default `["filesystem"]`). */
  storageDrivers?: readonly StorageDriver[];
  /**
   * The S3 server the matrix starts for cells on `s3` (default `REGSWEEP_S3_SERVER`, else Swift), stopped
   * when the run ends; each cell gets a bucket of its own.
   */
  s3Server?: S3ServerKind;
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
  onCellStart?: (
    version: string,
    scenario: string,
    index: number,
    total: number,
    storageDriver: StorageDriver,
  ) => void;
  /** Called when the S3 server is up (the CLI says where). */
  onS3Server?: (server: StartedS3Server) => void;
  /** Called after each cell (the CLI prints a progress line). */
  onCell?: (cell: MatrixCell, done: number, total: number) => void;
}

/** A cell's verdict: as expected, failed unexpectedly, failed as the table says, or not applicable. */
export type CellVerdict = "pass" | "FAIL" | "expected-difference" | "skip" | "unexpected-pass";

/** One version × storage driver × scenario cell with its verdict. */
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
  /** The storage drivers every version ran on (reports from before the storage dimension: filesystem). */
  storageDrivers: StorageDriver[];
  /** The S3 server the s3 cells ran against (only when one did). */
  s3Server?: S3ServerKind;
  scenarios: { name: string; description: string }[];
  /** A registry binary or image a maintainer pointed at, and the version whose behaviour row it took. */
  registry?: { binary?: string; image?: string; asVersion: string };
  cells: MatrixCell[];
  /** Per version and driver: cells run, passed, expected differences, failures, and each skip with its reason. */
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
  const drivers: StorageDriver[] = [...(options.storageDrivers ?? ["filesystem"])];
  const total = options.versions.length * drivers.length * options.scenarios.length;
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
  const s3Kind = drivers.includes("s3") ? (options.s3Server ?? s3ServerKindFromEnv()) : undefined;
  if (buildVersion !== undefined && total > 0 && !signal?.aborted) {
    let s3Server: StartedS3Server | undefined;
    const fixtures = await FixtureSet.build(docker, buildVersion);
    try {
      if (s3Kind !== undefined) {
        s3Server = await startS3Server(s3Kind);
        options.onS3Server?.(s3Server);
      }
      run: for (const version of options.versions) {
        for (const storageDriver of drivers) {
          for (const scenario of options.scenarios) {
            if (signal?.aborted) {
              interrupted = true;
              break run;
            }
            options.onCellStart?.(version, scenario.name, cells.length + 1, total, storageDriver);
            let result: CellResult;
            try {
              result = await runScenarioCell(scenario, version, fixtures, {
                ...source,
                fixtureMode,
                storageDriver,
                ...(s3Server ? { s3Server } : {}),
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
      }
    } finally {
      await s3Server?.stop();
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
    storageDrivers: drivers,
    ...(s3Kind !== undefined ? { s3Server: s3Kind } : {}),
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
    summary: summarizeCells(options.versions, cells, drivers),
    ...(interrupted ? { interrupted } : {}),
    ok: !interrupted && cells.every((c) => c.verdict !== "FAIL"),
  };
}
