import {
  type Digest,
  type Inventory,
  imageContents,
  isManifestProblem,
  manifestLookup,
} from "@regsweep/cleaner";
import type { Command } from "commander";
import picomatch from "picomatch";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { openBackend } from "../flow/open-backend.js";
import { type Column, jsonArrayLines, listingFormat, listingLines, shortDigest } from "../listing-lines.js";
import { compareNames, compareTagKeys, tagKey } from "../listing-order.js";
import { readInventoryShowingProgress } from "../read-progress.js";
import type { RegistryTargetOptions } from "../registry-target.js";
import { formatBytes } from "../render-plan.js";
import type { StorageTargetOptions } from "../storage-target.js";
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

/**
 * The rows of `ls` for repositories matching a glob: every tag, plus one row per untagged manifest.
 * Sorted by repository, then versions in version order, other tags by name, then untagged by digest.
 */
export function lsRows(
  inventory: Inventory,
  pattern?: string,
  createdAt: ReadonlyMap<Digest, number> = new Map(),
): LsRow[] {
  const match = pattern ? picomatch(pattern) : () => true;
  const manifest = manifestLookup(inventory);
  const imageSize = (digest: Digest): number => {
    let size = 0;
    for (const d of imageContents(manifest, digest)) size += inventory.blobs.get(d)?.size ?? 0;
    return size;
  };
  const rows: LsRow[] = [];
  const repositories = inventory.repositories
    .filter((repo) => match(repo.name) || (pattern !== undefined && repo.name === pattern))
    .sort((a, b) => compareNames(a.name, b.name));
  for (const repo of repositories) {
    const tagged = new Set<string>();
    const tags = repo.tags
      .map((t) => ({ t, key: tagKey(t.name) }))
      .sort((a, b) => compareTagKeys(a.key, b.key));
    for (const { t } of tags) {
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
    const untagged = repo.revisions
      .filter((r) => !tagged.has(r.digest))
      .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    for (const r of untagged) {
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

/** A time as the table shows it: UTC to the second (`2026-01-05 13:04:05`), `-` when unknown. */
function shortTime(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : "-";
}

/**
 * The columns of `ls`. `pushed` only where the source knows it (the storage's link times; the API says
 * nothing), `created` only when asked (it costs one config blob read per image): never a column of blanks.
 */
export function lsColumns(options: {
  pushed: boolean;
  created: boolean;
  noTrunc?: boolean;
}): Array<Column<LsRow>> {
  const columns: Array<Column<LsRow>> = [
    { header: "REPOSITORY", key: "repository", text: (r) => r.repository },
    {
      header: "TAG",
      key: "tag",
      text: (r) => `${r.tag ?? "<untagged>"}${r.placeholder ? " (placeholder)" : ""}`,
      value: (r) => r.tag ?? "",
    },
    {
      header: "DIGEST",
      key: "digest",
      text: (r) => (r.digest ? shortDigest(r.digest, options.noTrunc) : "-"),
      value: (r) => r.digest ?? "",
    },
    { header: "SIZE", key: "size", text: (r) => formatBytes(r.size), value: (r) => String(r.size) },
  ];
  if (options.pushed)
    columns.push({
      header: "PUSHED",
      key: "pushedAt",
      text: (r) => shortTime(r.pushedAt),
      value: (r) => r.pushedAt ?? "",
    });
  if (options.created)
    columns.push({
      header: "CREATED",
      key: "createdAt",
      text: (r) => shortTime(r.createdAt),
      value: (r) => r.createdAt ?? "",
    });
  return columns;
}

/** `regsweep ls [pattern]`. */
export function lsCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("ls")
    .description("list repositories, tags and untagged manifests with digests, sizes and push times")
    .argument("[pattern]", "glob over repository names, e.g. 'team/*'")
    .option("--format <format>", "table (default), tsv (for awk and cut: raw bytes, full digests) or json")
    .option("--json", "the same as --format json")
    .option("--no-trunc", "whole digests in the table")
    .option("--no-headers", "no header line (table and tsv)")
    .option("--untagged", "only untagged manifests")
    .option("--created", "add each image's creation time (reads one config blob per image)")
    .option("-q, --quiet", "no progress line on the terminal");
  addStorageOptions(cmd);
  // Shared with the destructive commands (their --cascade-tags/--delete-layers mean nothing here).
  addRegistryOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nExamples:\n  regsweep ls --storage /var/lib/registry\n  regsweep ls --storage /var/lib/registry 'test/*' --format tsv | awk -F'\\t' '$4 > 1e9'\n  regsweep ls --registry https://registry.example:5000 -U me --password-stdin --created",
  );
  cmd.action(
    async (
      pattern: string | undefined,
      options: StorageTargetOptions &
        RegistryTargetOptions & {
          json?: boolean;
          format?: string;
          trunc?: boolean;
          headers?: boolean;
          untagged?: boolean;
          created?: boolean;
          quiet?: boolean;
        },
    ) => {
      const format = listingFormat(options);
      await using backend = await openBackend(options, io);
      const inventory = await readInventoryShowingProgress(backend, io, { quiet: Boolean(options.quiet) });
      const createdAt = options.created
        ? await backend.readCreatedTimes(inventory, { untagged: true })
        : new Map<Digest, number>();
      let rows = lsRows(inventory, pattern, createdAt);
      if (options.untagged) rows = rows.filter((r) => r.tag === null);
      if (format === "json") {
        await io.outLines(jsonArrayLines(rows));
      } else if (rows.length === 0 && format === "table") {
        io.err("no repositories");
      } else {
        const columns = lsColumns({
          // The API says nothing of push times.
          pushed: backend.kind === "storage",
          created: Boolean(options.created),
          noTrunc: options.trunc === false,
        });
        await io.outLines(listingLines(rows, columns, { format, headers: options.headers !== false }));
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
