import { planDeletion, type RepositorySpace, summarizeSpace } from "@regsweep/cleaner";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { openStorageBackend } from "../flow/open-backend.js";
import { type Column, listingFormat, listingLines } from "../listing-lines.js";
import { compareNames } from "../listing-order.js";
import { planOptionsFrom } from "../plan-options.js";
import { readInventoryShowingProgress } from "../read-progress.js";
import { formatBytes } from "../render-plan.js";
import type { StorageTargetOptions } from "../storage-target.js";
import { addStorageOptions } from "./shared-options.js";

const bytes = (header: string, key: keyof Omit<RepositorySpace, "repository">): Column<RepositorySpace> => ({
  header,
  key,
  text: (r) => formatBytes(r[key]),
  value: (r) => String(r[key]),
});

/** The columns of `du`: sizes in units in the table, in bytes in tsv. */
export const DU_COLUMNS: ReadonlyArray<Column<RepositorySpace>> = [
  { header: "REPOSITORY", key: "repository", text: (r) => r.repository },
  bytes("TOTAL", "totalBytes"),
  bytes("UNIQUE", "uniqueBytes"),
  bytes("SHARED", "sharedBytes"),
  bytes("RECLAIMABLE", "reclaimableBytes"),
  bytes("UPLOADS", "uploadsBytes"),
];

/** Biggest first (what `du` is asked for at 3 a.m.), then by name. */
export function byTotalThenName(a: RepositorySpace, b: RepositorySpace): number {
  return b.totalBytes - a.totalBytes || compareNames(a.repository, b.repository);
}

/** `regsweep du`: space per repository, and what `gc --delete-untagged` would reclaim. Reads only. */
export function duCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("du")
    .description("space per repository: total, unique to it, shared, and reclaimable by gc --delete-untagged")
    .option("--grace <duration>", "grace period assumed for the reclaimable column (default 1h)")
    .option("--format <format>", "table (default), tsv (sizes in bytes) or json")
    .option("--json", "the same as --format json")
    .option("--no-headers", "no header line (table and tsv)")
    .option("-q, --quiet", "no progress line on the terminal");
  addStorageOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nExamples:\n  regsweep du --storage /var/lib/registry\n  regsweep du --config /etc/docker/registry/config.yml --json",
  );
  cmd.action(
    async (
      options: StorageTargetOptions & {
        json?: boolean;
        format?: string;
        headers?: boolean;
        grace?: string;
        quiet?: boolean;
      },
    ) => {
      const format = listingFormat(options);
      await using backend = await openStorageBackend(options, io);
      const inventory = await readInventoryShowingProgress(backend, io, { quiet: Boolean(options.quiet) });
      const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: true }], planOptionsFrom(options));
      const report = summarizeSpace(inventory, plan);
      if (format === "json") {
        io.out(JSON.stringify(report, null, 2));
      } else {
        const rows = [...report.repositories].sort(byTotalThenName);
        await io.outLines(listingLines(rows, DU_COLUMNS, { format, headers: options.headers !== false }));
        if (format === "table")
          io.out(
            `blobs on disk: ${formatBytes(report.totalBytes)}; linked by no repository: ${formatBytes(report.unlinkedBytes)}; regsweep gc --delete-untagged would free ${formatBytes(report.reclaimableBytes)}`,
          );
      }
      setExit(ExitCode.ok);
    },
  );
}
