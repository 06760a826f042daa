import {
  type Digest,
  InvalidRequestError,
  type Inventory,
  isManifestProblem,
  readCreatedTimes,
  readRegistryCreatedTimes,
  readRegistryInventory,
  readStorageInventory,
} from "@regsweep/cleaner";
import Table from "cli-table3";
import type { Command } from "commander";
import picomatch from "picomatch";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { type RegistryTargetOptions, registryClientFor } from "../registry-target.js";
import { formatBytes } from "../render-plan.js";
import { ioThreads, resolveStorageRoot, type StorageTargetOptions } from "../storage-target.js";
import { addRegistryOptions, addStorageOptions } from "./shared-options.js";

/** One row of `ls`: a tag with what it points at and how big its image is. */
export interface LsRow {
  repository: string;
  tag: string | null;
  digest: string | null;
  mediaType: string | null;
  /** Bytes of the manifest, its config and layers (children included for an index). */
  size: number;
  /** Unknown online (the API does not say when a tag was pushed). */
  pushedAt: string | null;
  /** The image's creation time (config `created`), read only with `--created`. */
  createdAt: string | null;
  /** It is a regsweep placeholder: a tag delete was interrupted here; the next delete or retain finishes it. */
  placeholder?: true;
}

const iso = (ms: number | undefined): string | null => (ms ? new Date(ms).toISOString() : null);

/** The rows of `ls` for repositories matching a glob (every tag, plus one row per untagged manifest). */
export function lsRows(
  inventory: Inventory,
  pattern?: string,
  createdAt: ReadonlyMap<Digest, number> = new Map(),
): LsRow[] {
  const match = pattern ? picomatch(pattern) : () => true;
  const imageSize = (digest: string, seen = new Set<string>()): number => {
    if (seen.has(digest)) return 0;
    seen.add(digest);
    const m = inventory.manifests.get(digest as `sha256:${string}`);
    let size = inventory.blobs.get(digest as `sha256:${string}`)?.size ?? 0;
    if (!m || isManifestProblem(m)) return size;
    for (const b of m.blobs) {
      if (seen.has(b)) continue;
      seen.add(b);
      size += inventory.blobs.get(b)?.size ?? 0;
    }
    for (const c of m.children) size += imageSize(c, seen);
    return size;
  };
  const rows: LsRow[] = [];
  for (const repo of inventory.repositories) {
    if (!match(repo.name) && !(pattern && repo.name === pattern)) continue;
    const tagged = new Set<string>();
    for (const t of repo.tags) {
      if (t.current) tagged.add(t.current);
      const m = t.current ? inventory.manifests.get(t.current) : undefined;
      rows.push({
        repository: repo.name,
        tag: t.name,
        digest: t.current ?? null,
        mediaType: m && !isManifestProblem(m) ? m.mediaType : null,
        size: t.current ? imageSize(t.current) : 0,
        pushedAt: iso(t.pushedAtMs),
        createdAt: t.current ? iso(createdAt.get(t.current)) : null,
        ...(t.current && inventory.placeholders?.has(t.current) ? { placeholder: true as const } : {}),
      });
    }
    for (const r of repo.revisions) {
      if (tagged.has(r.digest)) continue;
      const m = inventory.manifests.get(r.digest);
      rows.push({
        repository: repo.name,
        tag: null,
        digest: r.digest,
        mediaType: m && !isManifestProblem(m) ? m.mediaType : null,
        size: imageSize(r.digest),
        pushedAt: iso(r.linkedAtMs),
        createdAt: iso(createdAt.get(r.digest)),
        ...(inventory.placeholders?.has(r.digest) ? { placeholder: true as const } : {}),
      });
    }
  }
  return rows;
}

/** `regsweep ls [pattern]`. */
export function lsCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("ls")
    .description("list repositories, tags and untagged manifests with digests, sizes and push times")
    .argument("[pattern]", "glob over repository names, e.g. 'team/*'")
    .option("--json", "machine-readable rows")
    .option("--untagged", "only untagged manifests")
    .option("--created", "also read each image's creation time (one config blob per image)");
  addStorageOptions(cmd);
  // Shared with the destructive commands (their --cascade-tags/--delete-layers mean nothing here).
  addRegistryOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nExamples:\n  regsweep ls --storage /var/lib/registry\n  regsweep ls --storage /var/lib/registry 'test/*' --json\n  regsweep ls --registry https://registry.example:5000 -U me --password-stdin --created",
  );
  cmd.action(
    async (
      pattern: string | undefined,
      options: StorageTargetOptions &
        RegistryTargetOptions & { json?: boolean; untagged?: boolean; created?: boolean },
    ) => {
      let inventory: Inventory;
      let createdAt = new Map<Digest, number>();
      if (options.registry !== undefined) {
        if (options.storage !== undefined || options.config !== undefined)
          throw new InvalidRequestError(
            "--registry works online; --storage/--config offline: give one of them",
          );
        const client = await registryClientFor(options, io.env, io.signal);
        try {
          inventory = await readRegistryInventory(client);
          if (options.created) createdAt = await readRegistryCreatedTimes(client, inventory);
        } finally {
          client.close();
        }
      } else {
        const root = await resolveStorageRoot(options, io.env);
        inventory = await readStorageInventory(root, ioThreads(options));
        if (options.created) createdAt = await readCreatedTimes(root, inventory);
      }
      let rows = lsRows(inventory, pattern, createdAt);
      if (options.untagged) rows = rows.filter((r) => r.tag === null);
      if (options.json) {
        io.out(JSON.stringify(rows, null, 2));
      } else {
        const table = new Table({
          head: ["repository", "tag", "digest", "size", "pushed", "created"],
          style: { head: [], border: [] },
        });
        for (const r of rows) {
          table.push([
            r.repository,
            `${r.tag ?? "<untagged>"}${r.placeholder ? " (placeholder)" : ""}`,
            r.digest ? `${r.digest.slice(0, 19)}…` : "?",
            formatBytes(r.size),
            r.pushedAt?.slice(0, 19) ?? "",
            r.createdAt?.slice(0, 19) ?? "",
          ]);
        }
        io.out(rows.length ? table.toString() : "no repositories");
        const placeholders = rows.filter((r) => r.placeholder);
        if (placeholders.length)
          io.err(
            `${placeholders.length} tag delete${placeholders.length === 1 ? " was" : "s were"} interrupted (marked placeholder): the next regsweep delete or retain finishes ${placeholders.length === 1 ? "it" : "them"}`,
          );
      }
      setExit(ExitCode.ok);
    },
  );
}
