import { planDeletion, readStorageInventory, summarizeSpace } from "@regsweep/cleaner";
import Table from "cli-table3";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { planOptionsFrom } from "../plan-options.js";
import { formatBytes } from "../render-plan.js";
import { ioThreads, resolveStorageRoot, type StorageTargetOptions } from "../storage-target.js";
import { addStorageOptions } from "./shared-options.js";

/** `regsweep du`: space per repository, and what `gc --delete-untagged` would reclaim. Reads only. */
export function duCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("du")
    .description("space per repository: total, unique to it, shared, and reclaimable by gc --delete-untagged")
    .option("--grace <duration>", "grace period assumed for the reclaimable column (default 1h)")
    .option("--json", "machine-readable report");
  addStorageOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nExamples:\n  regsweep du --storage /var/lib/registry\n  regsweep du --config /etc/docker/registry/config.yml --json",
  );
  cmd.action(async (options: StorageTargetOptions & { json?: boolean; grace?: string }) => {
    const inventory = await readStorageInventory(
      await resolveStorageRoot(options, io.env),
      ioThreads(options),
    );
    const plan = planDeletion(inventory, [{ kind: "gc", deleteUntagged: true }], planOptionsFrom(options));
    const report = summarizeSpace(inventory, plan);
    if (options.json) {
      io.out(JSON.stringify(report, null, 2));
    } else {
      const table = new Table({
        head: ["repository", "total", "unique", "shared", "reclaimable", "uploads"],
        style: { head: [], border: [] },
      });
      for (const r of [...report.repositories].sort((a, b) => b.totalBytes - a.totalBytes)) {
        table.push([
          r.repository,
          ...[r.totalBytes, r.uniqueBytes, r.sharedBytes, r.reclaimableBytes, r.uploadsBytes].map(
            formatBytes,
          ),
        ]);
      }
      io.out(table.toString());
      io.out(
        `blobs on disk: ${formatBytes(report.totalBytes)}; linked by no repository: ${formatBytes(report.unlinkedBytes)}; regsweep gc --delete-untagged would free ${formatBytes(report.reclaimableBytes)}`,
      );
    }
    setExit(ExitCode.ok);
  });
}
