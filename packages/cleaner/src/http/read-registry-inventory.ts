import { type Digest, isDigest } from "../model/digest.js";
import type {
  BlobInfo,
  Finding,
  Inventory,
  LayerLinkInfo,
  RepositoryInventory,
  RevisionInfo,
  TagInfo,
} from "../model/inventory.js";
import {
  isManifestProblem,
  type ManifestInfo,
  type ManifestProblem,
  parseManifest,
  sha256Digest,
} from "../model/manifest.js";
import { MANIFEST_MEDIA_TYPES, MediaType } from "../model/media-types.js";
import { isPlaceholderManifest } from "../placeholder.js";
import { RegistryHttpError, RegistryProtocolError } from "./http-errors.js";
import { listAll } from "./paginate.js";
import type { RegistryClient } from "./registry-client.js";

/** Options for reading a registry over HTTP. */
export interface ReadRegistryOptions {
  /** Only these repositories (default: every repository the catalog lists). */
  repositories?: string[];
  /** Page size for `_catalog` and `tags/list` (default 1000). */
  pageSize?: number;
  /** Ask the OCI referrers API for referrers of each manifest, when the registry has it (probed once). */
  referrers?: boolean;
  /** Called as the read goes (per repository, tag and manifest), for progress lines. */
  onProgress?: (progress: Readonly<RegistryReadProgress>) => void;
}

/**
 * How far a read through the API has got: counters only. Read it when called; the same object is sent
 * each time, updated in place.
 */
export interface RegistryReadProgress {
  /** What the last event counted. */
  phase: "repositories" | "tags" | "manifests";
  /** Done in this phase, of `total` where known (repositories only). */
  done: number;
  total?: number;
  /** Repositories read so far, of `repositoriesTotal` (known once the catalog is read). */
  repositories: number;
  repositoriesTotal: number;
  /** Tags resolved to a manifest so far. */
  tags: number;
  manifests: number;
  /** HTTP requests made so far (retries and token fetches included). */
  requests: number;
}

/** What came back for one manifest: its digest (from `Docker-Content-Digest`, checked), bytes and type. */
export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

/** Manifest reads always send the whole Accept set, one header per type, so 2.x never rewrites to schema1. */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES;

/**
 * The digest of a schema1 signed manifest as distribution computes it: over the JWS payload (the body up to
 * `formatLength` plus the decoded `formatTail`), not over the signed body.
 */
export function schema1CanonicalDigest(bytes: Buffer): Digest | undefined {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as { signatures?: Array<{ protected?: string }> };
    const prot = doc.signatures?.[0]?.protected;
    if (!prot) return sha256Digest(bytes);
    const header = JSON.parse(Buffer.from(prot, "base64url").toString("utf8")) as {
      formatLength?: number;
      formatTail?: string;
    };
    if (typeof header.formatLength !== "number") return undefined;
    return sha256Digest(
      Buffer.concat([
        bytes.subarray(0, header.formatLength),
        Buffer.from(header.formatTail ?? "", "base64url"),
      ]),
    );
  } catch {
    return undefined;
  }
}

/** Whether a media type is a schema1 one (a digest read as schema1 may be a registry rewrite). */
export function isSchema1(mediaType: string): boolean {
  return (
    mediaType === MediaType.schema1 ||
    mediaType === MediaType.schema1Signed ||
    mediaType === "application/json"
  );
}

/**
 * GETs a manifest by tag or digest with the full Accept set and checks the announced digest against the body
 * (schema1: against its canonical payload). Undefined on 404.
 */
export async function fetchManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<FetchedManifest | undefined> {
  const res = await client.request("GET", `/v2/${repository}/manifests/${reference}`, {
    accept: MANIFEST_ACCEPT,
    scope: `repository:${repository}:pull`,
    expect: [404],
  });
  if (res.status === 404) return undefined;
  const mediaType =
    String(res.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim() ?? "";
  const announced = res.headers["docker-content-digest"] as string | undefined;
  const computed = isSchema1(mediaType) ? schema1CanonicalDigest(res.body) : sha256Digest(res.body);
  const byDigest = isDigest(reference) ? reference : undefined;
  const digest = (announced ?? byDigest ?? computed) as Digest | undefined;
  if (!digest || !isDigest(digest))
    throw new RegistryProtocolError(`${repository}:${reference}: no usable Docker-Content-Digest`);
  if (digest.startsWith("sha256:") && computed !== digest) {
    throw new RegistryProtocolError(
      `${repository}:${reference}: the registry announced ${digest} but the manifest hashes to ${computed}`,
    );
  }
  if (byDigest && byDigest !== digest)
    throw new RegistryProtocolError(`${repository}@${reference}: the registry answered ${digest}`);
  return { digest, mediaType, bytes: res.body };
}

interface Descriptor {
  digest?: string;
  size?: number;
}

/** Descriptor sizes a manifest states for its config, layers and children. */
function descriptorSizes(bytes: Buffer): Map<Digest, number> {
  const sizes = new Map<Digest, number>();
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as {
      config?: Descriptor;
      layers?: Descriptor[];
      manifests?: Descriptor[];
    };
    for (const d of [doc.config, ...(doc.layers ?? []), ...(doc.manifests ?? [])]) {
      if (d?.digest && isDigest(d.digest) && typeof d.size === "number") sizes.set(d.digest, d.size);
    }
  } catch {
    // parseManifest reports unreadable manifests
  }
  return sizes;
}

/**
 * Reads a registry through the HTTP API v2 into the same `Inventory` the storage reader makes: repositories
 * from the (paginated) catalog, tags (paginated) with their current digest, revisions = the manifests
 * reachable from tags (index children, and referrers where the registry has the referrers API), layers =
 * the blobs those manifests name, blob sizes from descriptors. What the API cannot show (untagged
 * manifests no tag reaches, uploads, history, link times) is absent: the planner then keeps or skips it.
 */
export async function readRegistryInventory(
  client: RegistryClient,
  options: ReadRegistryOptions = {},
): Promise<Inventory> {
  const readAtMs = Date.now();
  const pageSize = options.pageSize ?? 1000;
  await client.request("GET", "/v2/");
  const names =
    options.repositories ??
    (await listAll(client, "/v2/_catalog", "repositories", { scope: "registry:catalog:*", pageSize })) ??
    [];
  const findings: Finding[] = [];
  const blobs = new Map<Digest, BlobInfo>();
  const manifests = new Map<Digest, ManifestInfo | ManifestProblem>();
  const placeholders = new Set<Digest>();
  let referrersApi = options.referrers ?? true;
  const progress: RegistryReadProgress = {
    phase: "repositories",
    done: 0,
    total: names.length,
    repositories: 0,
    repositoriesTotal: names.length,
    tags: 0,
    manifests: 0,
    requests: client.requests,
  };
  const report = (phase: RegistryReadProgress["phase"]) => {
    if (!options.onProgress) return;
    progress.phase = phase;
    progress.done = progress[phase];
    progress.total = phase === "repositories" ? names.length : undefined;
    progress.requests = client.requests;
    options.onProgress(progress);
  };

  const readRepository = async (name: string): Promise<RepositoryInventory> => {
    const scope = `repository:${name}:pull`;
    const tagNames = (await listAll(client, `/v2/${name}/tags/list`, "tags", { scope, pageSize })) ?? [];
    const revisions = new Map<Digest, RevisionInfo>();
    const layers = new Map<Digest, LayerLinkInfo>();
    const fetching = new Map<Digest, Promise<void>>();

    const record = (m: FetchedManifest): ManifestInfo | ManifestProblem => {
      const parsed = parseManifest(m.bytes);
      if (isSchema1(m.mediaType)) {
        findings.push({
          code: "manifest.schema1",
          path: `${name}@${m.digest}`,
          repository: name,
          digest: m.digest,
          detail:
            "served as schema1: its digest may be the registry's rewrite, so it is never deleted by digest",
        });
      }
      manifests.set(m.digest, parsed);
      blobs.set(m.digest, { size: m.bytes.length, modifiedAtMs: 0 });
      for (const [d, size] of descriptorSizes(m.bytes))
        if (!blobs.has(d)) blobs.set(d, { size, modifiedAtMs: 0 });
      revisions.set(m.digest, { digest: m.digest, linkedAtMs: 0, signatures: [] });
      if (!isManifestProblem(parsed) && isPlaceholderManifest(parsed)) {
        placeholders.add(m.digest);
        if (parsed.config) placeholders.add(parsed.config);
      }
      if (!isManifestProblem(parsed)) {
        for (const b of parsed.blobs) {
          layers.set(b, { digest: b, linkedAtMs: 0 });
          if (!blobs.has(b)) blobs.set(b, { size: 0, modifiedAtMs: 0 });
        }
      }
      progress.manifests++;
      report("manifests");
      return parsed;
    };

    // Children and referrers of a manifest, each fetched once per repository.
    const follow = async (digest: Digest, parsed: ManifestInfo | ManifestProblem): Promise<void> => {
      const next: Digest[] = isManifestProblem(parsed) ? [] : [...parsed.children];
      if (referrersApi) {
        const res = await client.request("GET", `/v2/${name}/referrers/${digest}`, {
          scope,
          accept: [MediaType.ociIndex],
          expect: [400, 404, 405],
        });
        const doc =
          res.status === 200
            ? (JSON.parse(res.body.toString("utf8")) as { manifests?: Descriptor[] })
            : undefined;
        if (!Array.isArray(doc?.manifests)) referrersApi = false;
        else for (const d of doc.manifests) if (d.digest && isDigest(d.digest)) next.push(d.digest);
      }
      await Promise.all(next.map((d) => visit(d, `named by ${digest}`)));
    };
    const visit = (digest: Digest, why: string): Promise<void> => {
      const known = fetching.get(digest);
      if (known) return known;
      const work = (async () => {
        const m = await fetchManifest(client, name, digest);
        if (!m) {
          findings.push({
            code: "manifest.missing",
            path: `${name}@${digest}`,
            repository: name,
            digest,
            detail: `manifest ${why} is not in the repository`,
          });
          return;
        }
        await follow(m.digest, record(m));
      })();
      fetching.set(digest, work);
      return work;
    };

    const tags: TagInfo[] = await Promise.all(
      tagNames.map(async (tag): Promise<TagInfo> => {
        let m: FetchedManifest | undefined;
        try {
          m = await fetchManifest(client, name, tag);
        } catch (error) {
          // e.g. 3.x answers 500 for stored schema1: the tag stays (no current digest), and the plan says why.
          if (!(error instanceof RegistryHttpError) || error.status < 500) throw error;
          findings.push({
            code: "manifest.corrupt",
            path: `${name}:${tag}`,
            repository: name,
            detail: error.message,
          });
          return { name: tag, index: [] };
        }
        if (!m) {
          findings.push({
            code: "tag.broken",
            path: `${name}:${tag}`,
            repository: name,
            detail: "listed by tags/list but its manifest is not found",
          });
          return { name: tag, index: [] };
        }
        if (!fetching.has(m.digest)) {
          const parsed = record(m);
          fetching.set(m.digest, follow(m.digest, parsed));
        }
        await fetching.get(m.digest);
        progress.tags++;
        report("tags");
        return { name: tag, current: m.digest, index: [m.digest] };
      }),
    );
    await Promise.all(fetching.values());
    progress.repositories++;
    report("repositories");
    const byDigest = <T extends { digest: Digest }>(a: T, b: T) =>
      a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
    return {
      name,
      tags: tags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      revisions: [...revisions.values()].sort(byDigest),
      layers: [...layers.values()].sort(byDigest),
      uploads: [],
    };
  };

  const repositories = await Promise.all(names.map(readRepository));
  return {
    backend: "http",
    source: client.base.toString().replace(/\/$/, ""),
    readAtMs,
    repositories: repositories.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    blobs,
    manifests,
    findings,
    placeholders,
    strays: [],
  };
}
