import { type BlobVerifyReport, checkInventory, verifyBlobDigests } from "@regsweep/cleaner";
import type { Command } from "commander";
import pc from "picocolors";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { openStorageBackend } from "../flow/open-backend.js";
import { count, startProgressLine } from "../progress-line.js";
import { readInventoryShowingProgress } from "../read-progress.js";
import { formatBytes } from "../render-plan.js";
import type { StorageTargetOptions } from "../storage-target.js";
import { addStorageOptions } from "./shared-options.js";

/** `regsweep check`: the storage fsck. Exits 0 when every tag resolves, 3 when some tag is broken. */
export function checkCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("check")
    .description(
      "fsck the storage tree: every tag fully resolvable, plus orphans and corruptions (reads only)",
    )
    .option("--verify-digests", "also re-hash every blob and compare it with its digest (slow on big trees)")
    .option("--json", "machine-readable report")
    .option("-v, --verbose", "list every orphan")
    .option("-q, --quiet", "no progress line on the terminal");
  addStorageOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nExamples:\n  regsweep check --storage /var/lib/registry\n  regsweep check --storage /var/lib/registry --verify-digests --json",
  );
  cmd.action(
    async (
      options: StorageTargetOptions & {
        verifyDigests?: boolean;
        json?: boolean;
        verbose?: boolean;
        quiet?: boolean;
      },
    ) => {
      await using backend = await openStorageBackend(options, io);
      const quiet = options.quiet ? { quiet: true } : {};
      const inventory = await readInventoryShowingProgress(backend, io, quiet);
      const report = checkInventory(inventory);
      let digests: BlobVerifyReport | undefined;
      if (options.verifyDigests) {
        let latest: Readonly<{ done: number; total: number; bytes: number }> | undefined;
        const line = startProgressLine(
          io,
          () =>
            `verifying digests: ${count(latest?.done ?? 0)}/${count(latest?.total ?? inventory.blobs.size)} blobs, ${formatBytes(latest?.bytes ?? 0)} hashed`,
          quiet,
        );
        try {
          digests = await verifyBlobDigests(backend.target, inventory, {
            onProgress: (p) => {
              latest = p;
            },
          });
        } finally {
          line.stop();
        }
      }
      const broken = report.tags.filter((t) => !t.ok);
      if (options.json) {
        io.out(JSON.stringify({ ...report, ...(digests ? { digests } : {}) }, null, 2));
      } else {
        for (const t of broken) {
          io.out(pc.red(`broken  ${t.repository}:${t.tag}`));
          for (const p of t.problems) io.out(`        ${p.code} ${p.path}: ${p.detail}`);
        }
        const o = report.orphans;
        io.out(`${report.summary.okTags}/${report.summary.tags} tags resolve fully; ${broken.length} broken`);
        io.out(
          `orphans: ${o.revisions.count} untagged manifests (${formatBytes(o.revisions.bytes)}), ${o.layerLinks.count} unused layer links, ${o.blobs.count} unlinked blobs (${formatBytes(o.blobs.bytes)})`,
        );
        if (options.verbose)
          for (const x of [...o.revisions.items, ...o.layerLinks.items, ...o.blobs.items])
            io.out(`  ${x.repository || "<blobs>"} ${x.digest} ${formatBytes(x.bytes)}`);
        for (const f of report.findings) io.out(pc.yellow(`finding ${f.code} ${f.path}: ${f.detail}`));
        if (digests)
          io.out(
            `${digests.checked} blobs re-hashed (${formatBytes(digests.bytes)}), ${digests.mismatches.length} mismatches`,
          );
        for (const m of digests?.mismatches ?? []) io.out(pc.red(`corrupt ${m.path}: ${m.detail}`));
      }
      setExit(
        broken.length > 0 || (digests?.mismatches.length ?? 0) > 0 ? ExitCode.precondition : ExitCode.ok,
      );
    },
  );
}
