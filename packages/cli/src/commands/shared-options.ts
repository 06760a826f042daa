import type { Command } from "commander";

/** `--storage` / `--config`: where the storage tree is. */
export function addStorageOptions(cmd: Command): Command {
  return cmd
    .option("-s, --storage <dir>", "the registry's storage rootdirectory (or its docker/registry/v2 folder)")
    .option("-c, --config <file>", "the registry's config.yml: its filesystem rootdirectory is used");
}

/** The options every command that deletes shares. */
export function addDestructiveOptions(cmd: Command): Command {
  return cmd
    .option("-n, --dry-run", "print exactly what would be deleted, change nothing")
    .option("-y, --yes", "apply without asking (needed when not on a terminal)")
    .option(
      "--grace <duration>",
      "keep unreferenced things younger than this: they may be a push in flight (default 1h; 0 allowed)",
    )
    .option("--prune", "also remove empty folders that were already there")
    .option(
      "--allow-running",
      "delete even though a registry process serves the tree (stop it or make it read-only instead)",
    )
    .option("--out <file>", "save the plan as JSON instead of applying it (apply later with regsweep apply)")
    .option("--json", "machine-readable output (the plan, or the apply report)")
    .option("-v, --verbose", "list every deletion and every note")
    .option("-q, --quiet", "print only errors");
}
