#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { availableRegistryVersions, registryVersions, repoRoot } from "@regsweep/testbed";
import { Command, InvalidArgumentError, Option } from "commander";
import { connectDocker } from "./docker-client.js";
import { type MatrixReport, type MatrixRuntime, runMatrix } from "./matrix.js";

/** Where the program writes; tests pass their own. */
export interface LabIo {
  out(text: string): void;
  err(text: string): void;
}

/** Renders a matrix report as one line per version and fixture. */
export function renderMatrixReport(report: MatrixReport): string {
  const lines: string[] = [];
  for (const v of report.versions) {
    if (v.error) {
      lines.push(`${v.version}  ERROR  ${v.error}`);
      continue;
    }
    for (const f of v.fixtures) {
      const mark = f.actual === f.expected ? "ok  " : "FAIL";
      lines.push(
        `${v.version}  ${mark}  ${f.fixture}  ${f.actual}${f.detail ? `  (${f.detail.split("\n")[0]})` : ""}`,
      );
    }
  }
  lines.push(
    report.ok ? "matrix: every version behaved as its table entry says" : "matrix: unexpected results",
  );
  return `${lines.join("\n")}\n`;
}

function parseVersions(value: string): string[] {
  const known = registryVersions.map((v) => v.version);
  const versions = value.split(",").map((v) => v.trim());
  const unknown = versions.filter((v) => !known.includes(v));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown: ${unknown.join(", ")} (known: ${known.join(", ")})`);
  return versions;
}

/** The `regsweep-lab` program; a fresh one per call so tests can use `exitOverride()`. */
export function createLabProgram(
  io: LabIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
) {
  const program = new Command("regsweep-lab").description("regsweep's integration lab");
  program.configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command("matrix")
    .description("push every fixture to a registry of each version and pull it back with skopeo")
    .addOption(
      new Option("--runtime <runtime>", "run registries as cached binaries or in containers")
        .choices(["process", "container"])
        .default("container"),
    )
    .option("--versions <list>", "comma-separated versions (default: those setup.sh cached)", parseVersions)
    .option("--pull-official", "use the official registry:<version> images (needs Docker Hub)", false)
    .option("--report <file>", "where to save the JSON report", join(repoRoot(), "lab-report", "matrix.json"))
    .action(
      async (opts: {
        runtime: MatrixRuntime;
        versions?: string[];
        pullOfficial: boolean;
        report: string;
      }) => {
        const docker = await connectDocker();
        const report = await runMatrix(docker, {
          runtime: opts.runtime,
          versions: opts.versions ?? availableRegistryVersions(),
          pullOfficial: opts.pullOfficial,
        });
        await mkdir(join(opts.report, ".."), { recursive: true });
        await writeFile(opts.report, `${JSON.stringify(report, null, 2)}\n`);
        io.out(renderMatrixReport(report));
        io.out(`report: ${opts.report}\n`);
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
