import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { type DestructiveOptions, planAndApply } from "../flow/plan-flow.js";
import { addDestructiveOptions, addStorageOptions } from "./shared-options.js";

/** `regsweep gc`: mark and sweep over the whole tree. */
export function gcCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("gc")
    .description(
      "garbage-collect: delete every blob no kept manifest in any repository needs, orphaned layer links and stale uploads",
    )
    .option(
      "-m, --delete-untagged",
      "also delete untagged manifests (children of kept indexes and referrers of kept manifests stay)",
    )
    .option("--upload-age <duration>", "uploads older than this are stale (default 24h)");
  addStorageOptions(cmd);
  addDestructiveOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  regsweep gc --storage /var/lib/registry --dry-run
  regsweep gc --config /etc/docker/registry/config.yml --delete-untagged --yes
  regsweep gc --storage /var/lib/registry --grace 0 --yes   # registry stopped: nothing is in flight
  regsweep gc --config /etc/docker/registry/config.yml -m --live --yes   # registry serving: pushes meanwhile are kept`,
  );
  cmd.action(async (options: DestructiveOptions & { deleteUntagged?: boolean }) => {
    setExit(
      await planAndApply(options, [{ kind: "gc", deleteUntagged: Boolean(options.deleteUntagged) }], io),
    );
  });
}
