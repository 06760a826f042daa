import { createHash } from "node:crypto";
import type { Digest } from "../model/digest.js";
import type { Inventory, RepositoryInventory } from "../model/inventory.js";
import type { ManifestInfo } from "../model/manifest.js";

/** A digest named by a short label, so tests can say `img1` instead of 64 hex digits. */
export function labelDigest(label: string): Digest {
  return `sha256:${createHash("sha256").update(label).digest("hex")}`;
}

/** One repository of an in-memory inventory: tags as `[tag, manifest label, pushedAtMs?]`. */
export interface FixtureRepo {
  tags: Array<[string, string, number?]>;
  /** Untagged manifests as `[label, linkedAtMs]`. */
  untagged?: Array<[string, number]>;
  /** Index label → child labels (children become revisions too). */
  indexes?: Record<string, string[]>;
  /** Referrer label → subject label. */
  referrers?: Record<string, string>;
}

/**
 * Builds an inventory in memory (no disk) for planner tests and properties: every manifest is an image with
 * one config blob named after it, an index names its children, a referrer its subject.
 */
export function fixtureInventory(repos: Record<string, FixtureRepo>, readAtMs = 0): Inventory {
  const manifests = new Map<Digest, ManifestInfo>();
  const blobs = new Map<Digest, { size: number; modifiedAtMs: number }>();
  const add = (label: string, info: Partial<ManifestInfo>) => {
    const d = labelDigest(label);
    if (manifests.has(d) && !info.children && !info.subject) return d;
    const config = labelDigest(`config of ${label}`);
    blobs.set(config, { size: 100, modifiedAtMs: 0 });
    blobs.set(d, { size: 10, modifiedAtMs: 0 });
    manifests.set(d, {
      kind: info.children ? "oci-index" : "schema2",
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      blobs: info.children ? [] : [config],
      children: info.children ?? [],
      ...(info.children ? {} : { config }),
      ...(info.subject ? { subject: info.subject } : {}),
    });
    return d;
  };
  const repositories: RepositoryInventory[] = Object.entries(repos).map(([name, spec]) => {
    const revisions = new Map<Digest, number>();
    for (const [index, children] of Object.entries(spec.indexes ?? {})) {
      for (const c of children) revisions.set(add(c, {}), 0);
      revisions.set(add(index, { children: children.map(labelDigest) }), 0);
    }
    for (const [ref, subject] of Object.entries(spec.referrers ?? {}))
      revisions.set(add(ref, { subject: labelDigest(subject) }), 0);
    for (const [, label] of spec.tags)
      if (!revisions.has(labelDigest(label))) revisions.set(add(label, {}), 0);
    for (const [label, at] of spec.untagged ?? []) revisions.set(add(label, {}), at);
    return {
      name,
      tags: spec.tags.map(([tag, label, pushedAtMs]) => ({
        name: tag,
        current: labelDigest(label),
        ...(pushedAtMs !== undefined ? { pushedAtMs } : {}),
        index: [labelDigest(label)],
      })),
      revisions: [...revisions].map(([digest, linkedAtMs]) => ({ digest, linkedAtMs, signatures: [] })),
      layers: [...revisions.keys()].flatMap((d) => {
        const m = manifests.get(d);
        return (m?.blobs ?? []).map((b) => ({ digest: b, linkedAtMs: 0 }));
      }),
      uploads: [],
    };
  });
  return {
    backend: "storage",
    source: "fixture",
    readAtMs,
    repositories,
    blobs,
    manifests,
    findings: [],
    emptyDirs: [],
    strays: [],
  };
}
