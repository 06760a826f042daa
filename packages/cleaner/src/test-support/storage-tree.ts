import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestBlob, TestManifest } from "@regsweep/testbed";
import { onTestFinished } from "vitest";
import type { Digest } from "../model/digest.js";
import { pathFor, type StoragePath } from "../storage/storage-paths.js";

/** A tag: its current manifest, and older manifests it pointed to before (its index history). */
export type TagSpec = TestManifest | { current: TestManifest; history: TestManifest[] };

/** One repository of a declarative tree. */
export interface RepoSpec {
  tags?: Record<string, TagSpec>;
  untagged?: TestManifest[];
  /** Blobs linked into the repository that no manifest names (e.g. a push in flight). */
  orphanLayers?: TestBlob[];
  uploads?: Array<{ id: string; ageMs: number; bytes?: number }>;
}

/** A storage tree as a registry would have written it after the described pushes. */
export interface TreeSpec {
  repositories: Record<string, RepoSpec>;
  /** Blobs in blobs/ that no repository links. */
  orphanBlobs?: TestBlob[];
  /** How old every file is (default 2 h, older than the default grace period). */
  ageMs?: number;
}

/**
 * Writes a storage tree from a declarative spec into a temp dir, removed when the test finishes.
 * The writer follows the registry's own order of a push: blobs, layer links, revision link, tag.
 */
export async function useStorageTree(spec: TreeSpec): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "regsweep-tree-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const when = new Date(Date.now() - (spec.ageMs ?? 2 * 3_600_000));
  const write = async (item: StoragePath, content: string | Buffer) => {
    const path = join(root, pathFor(item));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    await utimes(path, when, when);
  };
  const blob = (b: { digest: string; bytes: Buffer }) =>
    write({ kind: "blob-data", digest: b.digest as Digest }, b.bytes);
  const pushManifest = async (repository: string, m: TestManifest): Promise<void> => {
    for (const child of m.children) await pushManifest(repository, child);
    for (const b of m.blobs) {
      await blob(b);
      await write({ kind: "layer-link", repository, digest: b.digest as Digest }, b.digest);
    }
    await blob(m);
    await write({ kind: "revision-link", repository, digest: m.digest as Digest }, m.digest);
  };
  for (const [repository, repo] of Object.entries(spec.repositories)) {
    await mkdir(join(root, pathFor({ kind: "repository", repository })), { recursive: true });
    for (const m of repo.untagged ?? []) await pushManifest(repository, m);
    for (const [tag, t] of Object.entries(repo.tags ?? {})) {
      const { current, history } = "current" in t ? t : { current: t, history: [] };
      for (const m of [...history, current]) {
        await pushManifest(repository, m);
        await write({ kind: "tag-index-link", repository, tag, digest: m.digest as Digest }, m.digest);
      }
      await write({ kind: "tag-current-link", repository, tag }, current.digest);
    }
    for (const b of repo.orphanLayers ?? []) {
      await blob(b);
      await write({ kind: "layer-link", repository, digest: b.digest as Digest }, b.digest);
    }
    for (const u of repo.uploads ?? []) {
      const dir = join(root, pathFor({ kind: "upload-dir", repository, upload: u.id }));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "data"), Buffer.alloc(u.bytes ?? 10));
      await writeFile(join(dir, "startedat"), new Date(Date.now() - u.ageMs).toISOString());
    }
  }
  for (const b of spec.orphanBlobs ?? []) await blob(b);
  return root;
}
