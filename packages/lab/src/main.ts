#!/usr/bin/env node
import { existsSync, realpathSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { registryVersions, repoRoot, S3_SERVER_KINDS, type S3ServerKind } from "@regsweep/testbed";
import { Command, InvalidArgumentError, Option } from "commander";
import { type StorageDriver, storageDrivers } from "./cell-storage.js";
import { renderCompatibilityTable, replaceCompatibilityTable } from "./compatibility-table.js";
import { connectDocker } from "./docker-client.js";
import { type FixtureMode, fixtureModes } from "./fixture-mode.js";
import { LabError } from "./lab-errors.js";
import { assertExecutable } from "./lab-registry-process.js";
import { defaultMatrixVersions, type MatrixReport, type MatrixRuntime, runMatrix } from "./matrix.js";
import {
  renderMatrixHtml,
  renderMatrixMarkdown,
  renderMatrixTable,
  renderProgressLine,
} from "./matrix-render.js";
import type { Scenario } from "./scenario.js";
import { allScenarios, findScenario } from "./scenarios/all-scenarios.js";

/** Where the program writes; tests pass their own. */
export interface LabIo {
  out(text: string): void;
  err(text: string): void;
}

function parseVersions(value: string): string[] {
  const known = registryVersions.map((v) => v.version);
  const versions = value.split(",").map((v) => v.trim());
  const unknown = versions.filter((v) => !known.includes(v));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown: ${unknown.join(", ")} (known: ${known.join(", ")})`);
  return versions;
}

function parseVersion(value: string): string {
  const [version] = parseVersions(value);
  if (version === undefined || value.includes(","))
    throw new InvalidArgumentError("one version: the behaviour row the pointed-at registry takes");
  return version;
}

/** `--storage-driver filesystem`, `s3`, or both as a comma list (each version runs on each, in that order). */
export function parseStorageDrivers(value: string): StorageDriver[] {
  const drivers = value.split(",").map((d) => d.trim());
  const unknown = drivers.filter((d) => !(storageDrivers as readonly string[]).includes(d));
  if (unknown.length > 0 || drivers.length === 0)
    throw new InvalidArgumentError(
      `unknown: ${unknown.join(", ") || "(none)"} (known: ${storageDrivers.join(", ")}; both: filesystem,s3)`,
    );
  return [...new Set(drivers as StorageDriver[])];
}

/**
 * Where a run's reports go by default: `lab-report/<mode>` for runs with the filesystem driver (what
 * compat-table always reads), `lab-report/<mode>-s3` for s3-only runs (read when present).
 */
export function defaultReportDir(mode: FixtureMode, drivers: readonly StorageDriver[]): string {
  return join(repoRoot(), "lab-report", drivers.includes("filesystem") ? mode : `${mode}-s3`);
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;
/** Exit code of a run stopped by SIGTERM (`kill`, a CI job's timeout, systemd), 128 + 15. */
export const TERMINATED_EXIT_CODE = 143;

function parseScenarios(value: string): Scenario[] {
  try {
    return value.split(",").map((name) => findScenario(name.trim()));
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The `regsweep-lab` program; a fresh one per call so tests can use `exitOverride()`. */
export function createLabProgram(
  io: LabIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
) {
  const program = new Command("regsweep-lab").description("regsweep's integration lab");
  program.configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command("matrix")
    .description(
      "run every seed scenario on a registry of each version and storage driver (version × driver × scenario)",
    )
    .addOption(
      new Option(
        "--runtime <runtime>",
        "cached binaries, local registry images, or official registry:<v> images",
      )
        .choices(["process", "container", "official"])
        .default("process"),
    )
    .addOption(
      new Option(
        "--fixtures <mode>",
        "manifest kinds to push: the best each version takes, schema2/manifest lists only (the paths of 2.3–2.6), or signed schema1 only (the paths of 2.2)",
      )
        .choices([...fixtureModes])
        .default("native"),
    )
    .option("--versions <list>", "comma-separated versions (default: those setup.sh cached)", parseVersions)
    .option(
      "--storage-driver <list>",
      "the registry's storage: filesystem (a folder), s3 (a bucket on a real S3 server the lab starts and stops), or both: filesystem,s3",
      parseStorageDrivers,
      ["filesystem"] as StorageDriver[],
    )
    .addOption(
      new Option(
        "--s3-server <kind>",
        "the S3 server for s3 cells (default: REGSWEEP_S3_SERVER, else swift)",
      ).choices([...S3_SERVER_KINDS]),
    )
    .option(
      "--scenarios <list>",
      `comma-separated scenarios (default: all: ${allScenarios.map((s) => s.name).join(", ")})`,
      parseScenarios,
    )
    .option(
      "--report-dir <dir>",
      "where to write matrix.{json,md,html} (default: lab-report/<fixture mode>, lab-report/<fixture mode>-s3 for s3 only)",
    )
    .addOption(
      new Option(
        "--registry-binary <path>",
        "run this registry binary (process runtime) instead of the cached one; needs --as-version",
      ).conflicts(["registryImage", "versions"]),
    )
    .addOption(
      new Option(
        "--registry-image <image>",
        "run this registry image (container runtime) instead of regsweep/registry:<v>; needs --as-version",
      ).conflicts(["versions"]),
    )
    .addOption(
      new Option(
        "--as-version <version>",
        "the version-table row whose behaviour the pointed-at binary or image is expected to have",
      ).argParser(parseVersion),
    )
    .action(
      async (opts: {
        runtime: MatrixRuntime;
        fixtures: FixtureMode;
        versions?: string[];
        storageDriver: StorageDriver[];
        s3Server?: S3ServerKind;
        scenarios?: Scenario[];
        reportDir?: string;
        registryBinary?: string;
        registryImage?: string;
        asVersion?: string;
      }) => {
        const pointed = opts.registryBinary ?? opts.registryImage;
        if ((pointed === undefined) !== (opts.asVersion === undefined))
          throw new LabError(
            "lab.usage",
            "--registry-binary/--registry-image and --as-version go together: the version says which behaviour to expect",
          );
        let runtime = opts.runtime;
        const drivers = opts.storageDriver;
        if (drivers.includes("s3") && (runtime !== "process" || opts.registryImage !== undefined))
          throw new LabError(
            "lab.usage",
            "--storage-driver s3 runs registries as processes (--runtime process): the S3 server listens on the host's loopback",
          );
        if (opts.s3Server !== undefined && !drivers.includes("s3"))
          throw new LabError("lab.usage", "--s3-server goes with --storage-driver s3");
        if (opts.registryBinary !== undefined) {
          if (runtime !== "process")
            throw new LabError(
              "lab.usage",
              "--registry-binary runs a process: leave out --runtime or say process",
            );
          opts.registryBinary = resolve(opts.registryBinary);
          assertExecutable(opts.registryBinary);
        }
        const docker = await connectDocker();
        if (opts.registryImage !== undefined) {
          if (runtime === "official")
            throw new LabError(
              "lab.usage",
              "--registry-image replaces the official image: use --runtime container",
            );
          runtime = "container";
          await docker
            .getImage(opts.registryImage)
            .inspect()
            .catch((error: unknown) => {
              throw new LabError(
                "lab.registry.image-missing",
                `image ${opts.registryImage} is not in the Docker engine (docker pull or build it first)`,
                { cause: error },
              );
            });
        }
        // Ctrl-C or SIGTERM: stop the running cell's registry (and the run's S3 server), remove its temp
        // dirs, write what ran, exit 130 (143); a second signal exits at once. `on`, not `once`: signal-exit
        // (testcontainers) re-raises the signal when no other listener is left, which `once` causes by
        // removing ours before it runs.
        const controller = new AbortController();
        let stoppedBy: NodeJS.Signals = "SIGINT";
        const exitCodeOf = (signal: NodeJS.Signals) =>
          signal === "SIGTERM" ? TERMINATED_EXIT_CODE : INTERRUPTED_EXIT_CODE;
        const onSignal = (signal: NodeJS.Signals) => {
          if (controller.signal.aborted) process.exit(exitCodeOf(signal));
          stoppedBy = signal;
          io.err(
            signal === "SIGTERM"
              ? "terminated: stopping the running cell\n"
              : "interrupted: stopping the running cell (Ctrl-C again to exit at once)\n",
          );
          controller.abort();
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        let report: Awaited<ReturnType<typeof runMatrix>>;
        try {
          report = await runMatrix(docker, {
            runtime,
            fixtureMode: opts.fixtures,
            versions:
              opts.asVersion !== undefined ? [opts.asVersion] : (opts.versions ?? defaultMatrixVersions()),
            scenarios: opts.scenarios ?? allScenarios,
            storageDrivers: drivers,
            ...(opts.s3Server !== undefined ? { s3Server: opts.s3Server } : {}),
            onS3Server: (server) =>
              io.err(`s3: ${server.kind} at ${server.endpoint} (stopped when the run ends)\n`),
            ...(opts.registryBinary !== undefined ? { registryBinary: opts.registryBinary } : {}),
            ...(opts.registryImage !== undefined ? { registryImage: opts.registryImage } : {}),
            signal: controller.signal,
            onCellStart: (version, scenario, index, total, driver) =>
              io.err(`[${index}/${total}] ${version} ${driver} ${scenario}: running\n`),
            onCell: (cell, done, total) => io.err(renderProgressLine(cell, done, total)),
          });
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
        if (pointed !== undefined) io.err(`registry: ${pointed} as ${opts.asVersion}\n`);
        const reportDir = opts.reportDir ?? defaultReportDir(opts.fixtures, drivers);
        await mkdir(reportDir, { recursive: true });
        await writeFile(join(reportDir, "matrix.json"), `${JSON.stringify(report, null, 2)}\n`);
        await writeFile(join(reportDir, "matrix.md"), renderMatrixMarkdown(report));
        await writeFile(join(reportDir, "matrix.html"), renderMatrixHtml(report));
        io.out(renderMatrixTable(report));
        io.out(`reports: ${join(reportDir, "matrix.{json,md,html}")}\n`);
        if (report.interrupted) {
          io.err(`interrupted after ${report.cells.length} cell(s)\n`);
          process.exitCode = exitCodeOf(stoppedBy);
          // A scenario interrupted mid-way may still be settling (its registries are stopped already).
          setTimeout(() => process.exit(exitCodeOf(stoppedBy)), 5_000).unref();
        } else if (!report.ok) process.exitCode = 1;
      },
    );
  program
    .command("compat-table")
    .description(
      "rewrite README.md's compatibility table from matrix runs (matrix.json of each fixture mode, and of each s3-only run when there is one); versions no run covered are listed as planned, not run",
    )
    .option("--reports <dirs...>", "report directories holding matrix.json", [
      ...fixtureModes.map((m) => defaultReportDir(m, ["filesystem"])),
      // s3-only runs, when one was made (a run with both drivers writes the mode's own report).
      ...fixtureModes
        .map((m) => defaultReportDir(m, ["s3"]))
        .filter((d) => existsSync(join(d, "matrix.json"))),
    ])
    .option("--readme <path>", "the README to rewrite", join(repoRoot(), "README.md"))
    .action(async (opts: { reports: string[]; readme: string }) => {
      const reports: MatrixReport[] = [];
      for (const dir of opts.reports) {
        const file = join(dir, "matrix.json");
        const text = await readFile(file, "utf8").catch((error: unknown) => {
          throw new LabError(
            "lab.report.missing",
            `no ${file}: run ./dev matrix with that fixture mode first`,
            {
              cause: error,
            },
          );
        });
        const report = JSON.parse(text) as MatrixReport;
        if (!report.summary || !report.fixtureMode)
          throw new LabError("lab.report.old", `${file} has no per-version summary: run the matrix again`);
        if (report.interrupted)
          throw new LabError("lab.report.interrupted", `${file} is of an interrupted run: run it again`);
        reports.push(report);
      }
      const readme = await readFile(opts.readme, "utf8");
      await writeFile(
        opts.readme,
        replaceCompatibilityTable(readme, renderCompatibilityTable(reports, allScenarios)),
      );
      io.out(`${opts.readme}: compatibility table from ${reports.length} matrix run(s)\n`);
    });
  return program;
}

// Only the entry point maps errors to an exit code; the modules above throw.
// realpath: the bin link in node_modules/.bin points here through a symlink.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  createLabProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`regsweep-lab: ${(error as Error).message}\n`);
      process.exitCode = 2;
    });
}
