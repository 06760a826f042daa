import type { Digest, Inventory, ManifestInfo, RepositoryInventory } from "@regsweep/cleaner";
import { describe, expect, it } from "vitest";
import { jsonArrayLines, listingLines } from "../listing-lines.js";
import { lsColumns, lsRows } from "./ls.js";

/** A digest whose first 12 hex characters are `head` (padded): readable in the golden lines below. */
const d = (head: string): Digest => `sha256:${head.padEnd(64, "0")}`;
const T0 = Date.UTC(2026, 0, 5, 13, 4, 5);

/** An in-memory inventory: each manifest an image of one 1,500-byte config and its own 1,000 bytes. */
function inventory(repos: Record<string, { tags: Array<[string, string]>; untagged?: string[] }>): Inventory {
  const manifests = new Map<Digest, ManifestInfo>();
  const blobs = new Map<Digest, { size: number; modifiedAtMs: number }>();
  const image = (head: string) => {
    const config = d(`c0${head}`);
    blobs.set(d(head), { size: 1000, modifiedAtMs: 0 });
    blobs.set(config, { size: 1500, modifiedAtMs: 0 });
    manifests.set(d(head), {
      kind: "schema2",
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      blobs: [config],
      children: [],
      config,
    });
    return d(head);
  };
  const repositories: RepositoryInventory[] = Object.entries(repos).map(([name, spec], r) => ({
    name,
    tags: spec.tags.map(([tag, head], i) => ({
      name: tag,
      current: image(head),
      pushedAtMs: T0 + (r * 10 + i) * 1000,
      index: [d(head)],
    })),
    revisions: [...spec.tags.map(([, head]) => head), ...(spec.untagged ?? [])].map((head) => ({
      digest: image(head),
      linkedAtMs: T0 - 86_400_000,
      signatures: [],
    })),
    layers: [],
    uploads: [],
  }));
  return {
    backend: "storage",
    source: "fixture",
    readAtMs: T0,
    repositories,
    blobs,
    manifests,
    findings: [],
    emptyDirs: [],
  };
}

// Out of order on purpose: the listing sorts (repositories naturally, versions by semver, then the rest).
const inv = inventory({
  "team/app10": { tags: [["latest", "aa01"]] },
  "team/app2": {
    tags: [
      ["latest", "bb04"],
      ["v1.10.0", "bb03"],
      ["v1.2.0", "bb02"],
      ["v1.2.0-rc.1", "bb01"],
    ],
    untagged: ["ff02", "ff01"],
  },
  "a-rather-long/repository-name": { tags: [["1", "cc01"]] },
});
const created = new Map<Digest, number>([[d("bb04"), Date.UTC(2025, 11, 24, 8, 0, 0)]]);

describe("ls (golden output)", () => {
  it("table: aligned columns under one header, digests shortened, sorted by repository then version", () => {
    const rows = lsRows(inv);
    expect([...listingLines(rows, lsColumns({ pushed: true, created: false }), { format: "table" })]).toEqual(
      [
        "REPOSITORY                      TAG           DIGEST         SIZE     PUSHED",
        "a-rather-long/repository-name   1             cc0100000000   2.5 kB   2026-01-05 13:04:25",
        "team/app2                       v1.2.0-rc.1   bb0100000000   2.5 kB   2026-01-05 13:04:18",
        "team/app2                       v1.2.0        bb0200000000   2.5 kB   2026-01-05 13:04:17",
        "team/app2                       v1.10.0       bb0300000000   2.5 kB   2026-01-05 13:04:16",
        "team/app2                       latest        bb0400000000   2.5 kB   2026-01-05 13:04:15",
        "team/app2                       <untagged>    ff0100000000   2.5 kB   2026-01-04 13:04:05",
        "team/app2                       <untagged>    ff0200000000   2.5 kB   2026-01-04 13:04:05",
        "team/app10                      latest        aa0100000000   2.5 kB   2026-01-05 13:04:05",
      ],
    );
  });

  it("--no-trunc: whole digests, the column as wide as they are", () => {
    const rows = lsRows(inv, "team/app10");
    expect([
      ...listingLines(rows, lsColumns({ pushed: true, created: false, noTrunc: true }), { format: "table" }),
    ]).toEqual([
      `REPOSITORY   TAG      DIGEST${" ".repeat(71 - 6 + 3)}SIZE     PUSHED`,
      `team/app10   latest   ${d("aa01")}   2.5 kB   2026-01-05 13:04:05`,
    ]);
  });

  it("created only when asked, and then for every image it could read (`-` for the rest)", () => {
    const rows = lsRows(inv, "team/app2", created).slice(3, 5);
    expect([...listingLines(rows, lsColumns({ pushed: true, created: true }), { format: "table" })]).toEqual([
      "REPOSITORY   TAG          DIGEST         SIZE     PUSHED                CREATED",
      "team/app2    latest       bb0400000000   2.5 kB   2026-01-05 13:04:15   2025-12-24 08:00:00",
      "team/app2    <untagged>   ff0100000000   2.5 kB   2026-01-04 13:04:05   -",
    ]);
    // Online the API says nothing about push times: no pushed column rather than one of blanks.
    expect(lsColumns({ pushed: false, created: false }).map((c) => c.header)).toEqual([
      "REPOSITORY",
      "TAG",
      "DIGEST",
      "SIZE",
    ]);
  });

  it("tsv: field names, full digests, bytes, ISO times, empty fields for none", () => {
    const rows = lsRows(inv, "team/app2").slice(3, 5);
    expect([...listingLines(rows, lsColumns({ pushed: true, created: false }), { format: "tsv" })]).toEqual([
      "repository\ttag\tdigest\tsize\tpushedAt",
      `team/app2\tlatest\t${d("bb04")}\t2500\t2026-01-05T13:04:15.000Z`,
      `team/app2\t\t${d("ff01")}\t2500\t2026-01-04T13:04:05.000Z`,
    ]);
  });

  it("json: the rows as they always were, one array", () => {
    const rows = lsRows(inv, "team/app10");
    expect(JSON.parse([...jsonArrayLines(rows)].join("\n"))).toEqual([
      {
        repository: "team/app10",
        tag: "latest",
        digest: d("aa01"),
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        size: 2500,
        pushedAt: "2026-01-05T13:04:05.000Z",
        createdAt: null,
      },
    ]);
  });
});
