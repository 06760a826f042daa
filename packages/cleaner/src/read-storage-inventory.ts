import type { Dirent } from "node:fs";
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Digest, isDigest } from "./digest.js";
import { NotAStorageTreeError } from "./errors.js";
import { forEachLimited, mapLimited } from "./for-each-limited.js";
import type {
  BlobInfo,
  Finding,
  Inventory,
  LayerLinkInfo,
  RepositoryInventory,
  RevisionInfo,
  TagInfo,
  UploadInfo,
} from "./inventory.js";
import { isManifestProblem, type ManifestInfo, type ManifestProblem, parseManifest } from "./manifest.js";
import { BLOBS_ROOT, pathFor, REPOSITORIES_ROOT, V2_ROOT } from "./storage-paths.js";

/**
 * How hard to hit the disk. Pools nest (repositories × links, prefixes × blobs), so each level is small;
 * work is pulled from iterators, never queued as one promise per file (memory stays flat on big trees).
 */
const IO_CONCURRENCY = 64;
const REPOSITORY_CONCURRENCY = 8;
const LINK_CONCURRENCY = 8;
const PREFIX_CONCURRENCY = 4;
const BLOB_CONCURRENCY = 16;

/** Options for reading a storage tree. */
export interface ReadStorageOptions {
  /** Called as the walk goes, for progress bars. */
  onProgress?: (event: {
    phase: "repositories" | "blobs" | "manifests";
    done: number;
    total?: number;
  }) => void;
}

/**
 * One string per digest while a tree is read: the same digest turns up in many links and manifests, and
 * on a 175k-blob tree the copies alone would be tens of MB. Dropped when the read ends.
 */
let interned = new Map<string, Digest>();
function intern<T extends string>(digest: T): T {
  const known = interned.get(digest);
  if (known !== undefined) return known as T;
  interned.set(digest, digest as unknown as Digest);
  return digest;
}

function internManifest(m: ManifestInfo | ManifestProblem): ManifestInfo | ManifestProblem {
  if (isManifestProblem(m)) return m;
  m.blobs = m.blobs.map(intern);
  m.children = m.children.map(intern);
  if (m.subject) m.subject = intern(m.subject);
  if (m.config) m.config = intern(m.config);
  return m;
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
}

async function readLink(path: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const info = await lstat(path);
    if (!info.isFile()) return undefined;
    return { text: (await readFile(path, "utf8")).trim(), mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Reads a `distribution` filesystem storage tree in one pass: repositories (nested names too), tags with
 * their history, revisions, layer links, uploads, blobs and every manifest. Oddities become findings;
 * nothing here throws for a broken tree except a root that is not a storage tree at all.
 */
export async function readStorageInventory(
  root: string,
  options: ReadStorageOptions = {},
): Promise<Inventory> {
  const v2 = join(root, V2_ROOT);
  const v2Stat = await stat(v2).catch(() => undefined);
  if (!v2Stat?.isDirectory()) {
    const rootStat = await stat(root).catch(() => undefined);
    throw new NotAStorageTreeError(
      root,
      !rootStat
        ? "it does not exist"
        : !rootStat.isDirectory()
          ? "it is not a directory"
          : `it has no ${V2_ROOT} folder (give the registry's rootdirectory, e.g. /var/lib/registry)`,
    );
  }
  const findings: Finding[] = [];
  const emptyDirs: string[] = [];
  const readAtMs = Date.now();
  interned = new Map();

  const rel = (abs: string) => abs.slice(root.length + (root.endsWith("/") ? 0 : 1));

  const repoDirs: string[] = [];
  async function findRepositories(dir: string, name: string): Promise<void> {
    const list = await entries(dir);
    if (name && list.length === 0) emptyDirs.push(rel(dir));
    let isRepository = false;
    const nested: Promise<void>[] = [];
    for (const entry of list) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        findings.push({
          code: "entry.symlink",
          path: rel(path),
          detail: "symbolic link in the repositories tree (never followed)",
        });
      } else if (entry.isDirectory() && entry.name.startsWith("_")) {
        isRepository = true;
      } else if (entry.isDirectory()) {
        nested.push(findRepositories(path, name ? `${name}/${entry.name}` : entry.name));
      } else {
        findings.push({
          code: "entry.unexpected",
          path: rel(path),
          detail: "file where repository folders belong",
        });
      }
    }
    if (isRepository) repoDirs.push(name);
    await Promise.all(nested);
  }
  await findRepositories(join(root, REPOSITORIES_ROOT), "");
  repoDirs.sort();

  let reposDone = 0;
  const repositories = await mapLimited(repoDirs, REPOSITORY_CONCURRENCY, async (name) => {
    const repo = await readRepository(root, name, findings, emptyDirs, rel);
    options.onProgress?.({ phase: "repositories", done: ++reposDone, total: repoDirs.length });
    return repo;
  });

  const blobs = await readBlobs(root, findings, emptyDirs, rel, options);

  // Every digest a repository says is a manifest: revisions and what tags point at.
  const manifestDigests = new Set<Digest>();
  for (const repo of repositories) {
    for (const r of repo.revisions) manifestDigests.add(r.digest);
    for (const t of repo.tags) if (t.current) manifestDigests.add(t.current);
  }
  const manifests = new Map<Digest, ManifestInfo | ManifestProblem>();
  let manifestsDone = 0;
  await forEachLimited(manifestDigests, IO_CONCURRENCY, async (digest) => {
    const path = join(root, pathFor({ kind: "blob-data", digest }));
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return; // reported below as manifest.missing, per repository
    }
    const parsed = parseManifest(bytes, digest);
    manifests.set(digest, internManifest(parsed));
    if (isManifestProblem(parsed)) {
      findings.push({
        code: "manifest.corrupt",
        path: rel(path),
        digest,
        detail: `${parsed.problem}: ${parsed.detail}`,
      });
    } else if (parsed.kind === "unknown") {
      findings.push({
        code: "manifest.unknown-type",
        path: rel(path),
        digest,
        detail: `media type '${parsed.mediaType}' is not one regsweep knows; kept with everything it names`,
      });
    }
    options.onProgress?.({ phase: "manifests", done: ++manifestsDone, total: manifestDigests.size });
  });

  for (const repo of repositories) {
    const revisions = new Set(repo.revisions.map((r) => r.digest));
    for (const r of repo.revisions) {
      if (!blobs.has(r.digest)) {
        findings.push({
          code: "manifest.missing",
          path: pathFor({ kind: "revision-link", repository: repo.name, digest: r.digest }),
          repository: repo.name,
          digest: r.digest,
          detail: "revision link names a manifest whose blob data is missing",
        });
      }
    }
    for (const t of repo.tags) {
      if (t.current && !revisions.has(t.current)) {
        findings.push({
          code: "tag.broken",
          path: pathFor({ kind: "tag-current-link", repository: repo.name, tag: t.name }),
          repository: repo.name,
          digest: t.current,
          detail: `tag '${t.name}' points at ${t.current}, which is not a revision of the repository`,
        });
      }
    }
    for (const l of repo.layers) {
      if (!blobs.has(l.digest)) {
        findings.push({
          code: "link.dangling",
          path: pathFor({ kind: "layer-link", repository: repo.name, digest: l.digest }),
          repository: repo.name,
          digest: l.digest,
          detail: "layer link names a blob whose data is missing",
        });
      }
    }
  }
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.code.localeCompare(b.code)));
  emptyDirs.sort();
  interned = new Map();
  return { source: root, readAtMs, repositories, blobs, manifests, findings, emptyDirs };
}

/** Reads `<alg>/<hex>/link` folders; a folder without `link` is absent (as `linkedblobstore.go` sees it). */
async function readDigestLinks(
  dir: string,
  findings: Finding[],
  emptyDirs: string[],
  rel: (p: string) => string,
  repository: string,
): Promise<Array<{ digest: Digest; mtimeMs: number; dir: string }>> {
  const out: Array<{ digest: Digest; mtimeMs: number; dir: string }> = [];
  for (const alg of await entries(dir)) {
    if (!alg.isDirectory()) continue;
    const algDir = join(dir, alg.name);
    const hexes = await entries(algDir);
    if (hexes.length === 0) emptyDirs.push(rel(algDir));
    await forEachLimited(hexes, LINK_CONCURRENCY, async (hex) => {
      const linkDir = join(algDir, hex.name);
      const expected = `${alg.name}:${hex.name}`;
      if (!hex.isDirectory() || !isDigest(expected)) {
        findings.push({
          code: "entry.unexpected",
          path: rel(linkDir),
          repository,
          detail: "not a <algorithm>/<hex> link folder",
        });
        return;
      }
      const link = await readLink(join(linkDir, "link"));
      if (!link) {
        const rest = await entries(linkDir);
        if (rest.length === 0) emptyDirs.push(rel(linkDir));
        return;
      }
      if (link.text !== expected) {
        findings.push({
          code: "link.invalid",
          path: rel(join(linkDir, "link")),
          repository,
          digest: expected,
          detail: `link says '${link.text.slice(0, 80)}', its folder says ${expected}`,
        });
      }
      out.push({ digest: intern(expected), mtimeMs: link.mtimeMs, dir: linkDir });
    });
  }
  return out.sort((a, b) => (a.digest < b.digest ? -1 : 1));
}

async function readRepository(
  root: string,
  name: string,
  findings: Finding[],
  emptyDirs: string[],
  rel: (p: string) => string,
): Promise<RepositoryInventory> {
  const repoDir = join(root, pathFor({ kind: "repository", repository: name }));
  const revisionLinks = await readDigestLinks(
    join(repoDir, "_manifests/revisions"),
    findings,
    emptyDirs,
    rel,
    name,
  );
  const revisions: RevisionInfo[] = await mapLimited(revisionLinks, LINK_CONCURRENCY, async (r) => {
    const sigs = await readDigestLinks(join(r.dir, "signatures"), findings, emptyDirs, rel, name);
    return { digest: r.digest, linkedAtMs: r.mtimeMs, signatures: sigs.map((s) => s.digest) };
  });

  const tagsDir = join(repoDir, "_manifests/tags");
  const tagEntries = (await entries(tagsDir))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const tags: TagInfo[] = await mapLimited(tagEntries, LINK_CONCURRENCY, async (tag) => {
    const tagDir = join(tagsDir, tag);
    const current = await readLink(join(tagDir, "current/link"));
    const index = await readDigestLinks(join(tagDir, "index"), findings, emptyDirs, rel, name);
    const info: TagInfo = { name: tag, index: index.map((i) => i.digest) };
    if (current && isDigest(current.text)) {
      info.current = intern(current.text);
      info.pushedAtMs = current.mtimeMs;
    } else {
      findings.push({
        code: current ? "link.invalid" : "tag.no-current",
        path: rel(join(tagDir, "current/link")),
        repository: name,
        detail: current
          ? `current link holds '${current.text.slice(0, 80)}'`
          : `tag '${tag}' has no current link`,
      });
    }
    return info;
  });

  const layers: LayerLinkInfo[] = (
    await readDigestLinks(join(repoDir, "_layers"), findings, emptyDirs, rel, name)
  ).map((l) => ({ digest: l.digest, linkedAtMs: l.mtimeMs }));

  const uploadsDir = join(repoDir, "_uploads");
  const uploads: UploadInfo[] = await mapLimited(
    (await entries(uploadsDir)).filter((e) => e.isDirectory()),
    LINK_CONCURRENCY,
    async (e) => {
      const dir = join(uploadsDir, e.name);
      const startedAt = await readLink(join(dir, "startedat"));
      const parsed = startedAt ? Date.parse(startedAt.text) : Number.NaN;
      const data = await stat(join(dir, "data")).catch(() => undefined);
      const dirStat = await stat(dir);
      return {
        id: e.name,
        startedAtMs: Number.isFinite(parsed) ? parsed : dirStat.mtimeMs,
        bytes: data?.size ?? 0,
      };
    },
  );
  uploads.sort((a, b) => a.id.localeCompare(b.id));
  return { name, tags, revisions, layers, uploads };
}

async function readBlobs(
  root: string,
  findings: Finding[],
  emptyDirs: string[],
  rel: (p: string) => string,
  options: ReadStorageOptions,
): Promise<Map<Digest, BlobInfo>> {
  const blobs = new Map<Digest, BlobInfo>();
  const blobsDir = join(root, BLOBS_ROOT);
  let done = 0;
  for (const alg of await entries(blobsDir)) {
    if (!alg.isDirectory()) continue;
    const algDir = join(blobsDir, alg.name);
    const prefixes = await entries(algDir);
    await forEachLimited(prefixes, PREFIX_CONCURRENCY, async (prefix) => {
      const prefixDir = join(algDir, prefix.name);
      const hexes = await entries(prefixDir);
      if (hexes.length === 0) emptyDirs.push(rel(prefixDir));
      await forEachLimited(hexes, BLOB_CONCURRENCY, async (hex) => {
        const digest = `${alg.name}:${hex.name}`;
        const dataPath = join(prefixDir, hex.name, "data");
        if (!isDigest(digest) || !hex.name.startsWith(prefix.name)) {
          findings.push({
            code: "entry.unexpected",
            path: rel(join(prefixDir, hex.name)),
            detail: "not a blob folder",
          });
          return;
        }
        const info = await lstat(dataPath).catch(() => undefined);
        if (!info) {
          const rest = await entries(join(prefixDir, hex.name));
          if (rest.length === 0) emptyDirs.push(rel(join(prefixDir, hex.name)));
          return;
        }
        if (!info.isFile()) {
          findings.push({
            code: info.isSymbolicLink() ? "entry.symlink" : "entry.unexpected",
            path: rel(dataPath),
            digest,
            detail: "blob data is not a regular file (kept, never followed)",
          });
          return;
        }
        blobs.set(intern(digest), { size: info.size, modifiedAtMs: info.mtimeMs });
        if (++done % 1000 === 0) options.onProgress?.({ phase: "blobs", done });
      });
    });
  }
  return blobs;
}
