import type { Command } from "commander";

/** `--storage` / `--config`: where the storage tree is. */
export function addStorageOptions(cmd: Command): Command {
  return cmd
    .option(
      "-s, --storage <dir|s3://bucket/prefix>",
      "the registry's storage rootdirectory (or its docker/registry/v2 folder), or its bucket and rootdirectory",
    )
    .option(
      "-c, --config <file>",
      "the registry's config.yml: its filesystem or s3 storage section is used (with REGISTRY_STORAGE_* overrides)",
    )
    .option("--s3-endpoint <url>", "with s3://: an S3-compatible server, http(s)://host:port (default AWS)")
    .option("--s3-region <region>", "with s3://: the bucket's region (default AWS_REGION, else us-east-1)")
    .option("--s3-skip-verify", "with s3://: do not verify the server's TLS certificate")
    .option(
      "--concurrency <n>",
      "requests in flight at once, 1-256: to a bucket (default 32, fewer while the server throttles) or to --registry's HTTP API (default 16); a folder on disk takes --io-threads",
    )
    .option(
      "--io-threads <n>",
      "threads doing file I/O on a tree on disk (default 4 reading, 8 deleting; more help on cold or network disks)",
    );
}

/** `--registry` and its auth/TLS flags: work on a live registry through the HTTP API v2 instead of a tree. */
export function addRegistryOptions(cmd: Command): Command {
  return cmd
    .option(
      "--registry <url>",
      "work online through the registry's HTTP API (https://host:port; http only for loopback or with --plain-http)",
    )
    .option("-U, --user <name>", "registry user (else REGSWEEP_USER, else ~/.docker/config.json)")
    .option("-P, --password <password>", "registry password (prefer --password-stdin or REGSWEEP_PASSWORD)")
    .option("--password-stdin", "read the registry password from standard input")
    .option("--ca-cert <file>", "PEM CA bundle to trust for the registry's TLS certificate")
    .option("--client-cert <file>", "PEM client certificate (mutual TLS)")
    .option("--client-key <file>", "PEM key of the client certificate")
    .option("--insecure", "do not verify the registry's TLS certificate")
    .option("--plain-http", "allow plain HTTP to a registry that is not on a loopback address")
    .option(
      "--cascade-tags",
      "online on 2.x: delete a tag by its digest even when kept tags share that digest (they are untagged too)",
    )
    .option("--delete-layers", "online: also unlink the blobs only deleted manifests used (DELETE blob)");
}

/** The options every command that deletes shares. */
export function addDestructiveOptions(cmd: Command): Command {
  addRegistryOptions(cmd);
  return cmd
    .option("-n, --dry-run", "print exactly what would be deleted, change nothing")
    .option("-y, --yes", "apply without asking (needed when not on a terminal)")
    .option(
      "--grace <duration>",
      "keep unreferenced things younger than this: they may be a push in flight (default 1h; 0 allowed)",
    )
    .option("--prune", "also remove empty folders that were already there")
    .option(
      "--live",
      "delete while a registry serves the tree: what is pushed meanwhile is kept (offline only; see docs/live-gc.md)",
    )
    .option(
      "--settle <duration>",
      "live: hold each deletion back this long (longer than a manifest put takes), then check again (default 30s)",
    )
    .option(
      "--allow-stale-cache",
      "live: go on although the registry keeps an in-memory blob descriptor cache (restart it right after)",
    )
    .option(
      "--allow-running",
      "delete although a registry serves the tree, without live mode's checks (unsafe: use --live)",
    )
    .option("--out <file>", "save the plan as JSON instead of applying it (apply later with regsweep apply)")
    .option("--json", "machine-readable output (the plan, or the apply report)")
    .option("-v, --verbose", "list every deletion and every note")
    .option("--no-trunc", "whole digests in the plan's lines (shortened to 12 hex characters by default)")
    .option("-q, --quiet", "print only errors");
}
