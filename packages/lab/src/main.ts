#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { registryVersions, repoRoot } from "@regsweep/testbed";
import { Command, InvalidArgumentError, Option } from "commander";
import { connectDocker } from "./docker-client.js";
import { defaultMatrixVersions, type MatrixRuntime, runMatrix } from "./matrix.js";
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
    .description("run every seed scenario on a registry of each version (version × scenario)")
    .addOption(
      new Option(
        "--runtime <runtime>",
        "cached binaries, local registry images, or official registry:<v> images",
      )
        .choices(["process", "container", "official"])
        .default("process"),
    )
    .option("--versions <list>", "comma-separated versions (default: those setup.sh cached)", parseVersions)
    .option(
      "--scenarios <list>",
      `comma-separated scenarios (default: all: ${allScenarios.map((s) => s.name).join(", ")})`,
      parseScenarios,
    )
    .option("--report-dir <dir>", "where to write matrix.{json,md,html}", join(repoRoot(), "lab-report"))
    .action(
      async (opts: {
        runtime: MatrixRuntime;
        versions?: string[];
        scenarios?: Scenario[];
        reportDir: string;
      }) => {
        const docker = await connectDocker();
        const report = await runMatrix(docker, {
          runtime: opts.runtime,
          versions: opts.versions ?? defaultMatrixVersions(),
          scenarios: opts.scenarios ?? allScenarios,
          onCell: (cell, done, total) => io.err(renderProgressLine(cell, done, total)),
        });
        await mkdir(opts.reportDir, { recursive: true });
        await writeFile(join(opts.reportDir, "matrix.json"), `${JSON.stringify(report, null, 2)}\n`);
        await writeFile(join(opts.reportDir, "matrix.md"), renderMatrixMarkdown(report));
        await writeFile(join(opts.reportDir, "matrix.html"), renderMatrixHtml(report));
        io.out(renderMatrixTable(report));
        io.out(`reports: ${join(opts.reportDir, "matrix.{json,md,html}")}\n`);
        if (!report.ok) process.exitCode = 1;
      },
    );
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
