// Writes a large synthetic `distribution` storage tree straight to disk (no registry), laid out exactly as
// the filesystem driver writes it (see src/storage-paths.ts), and returns what the bench needs to judge the
// result afterwards (which tags are multi-arch, with which children).
//
// Shape, per repository, as a sequence of pushes drawn from a seeded PRNG (so a size always gives the same tree):
// single-platform images (Docker schema2 or OCI) pushed to a small pool of tags (so tags are re-pushed and
// their old manifests become untagged history), multi-arch indexes (OCI index or Docker list) whose two
// children are pushed by digest (untagged, as buildx does), pushes by digest only, and re-pushes of an image
// from another repository (same manifest, config and layers: cross-repository sharing). Layers are a shared
// base (one of a few per repository), often a runtime layer from a global pool, and 1–3 unique small layers.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MediaTypes } from "@regsweep/testbed";

const V2 = "docker/registry/v2";
const MT = MediaTypes;

/** A small seeded PRNG (mulberry32): the same seed writes the same tree, byte for byte. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha256 = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const hexOf = (digest) => digest.slice("sha256:".length);

/**
 * Writes the tree under `root` and returns its metadata.
 * @param {string} root
 * @param {{ manifests: number, repositories?: number, seed?: number }} options
 */
export function makeTree(root, { manifests, repositories, seed = 42 }) {
  const rand = mulberry32(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const repoCount = repositories ?? Math.max(10, Math.min(500, Math.round(manifests / 100)));
  const dirs = new Set();
  let files = 0;
  const write = (rel, content) => {
    const path = join(root, rel);
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    writeFileSync(path, content);
    files++;
  };

  const blobsWritten = new Set();
  let blobBytes = 0;
  const putBlob = (blob) => {
    if (blobsWritten.has(blob.digest)) return;
    blobsWritten.add(blob.digest);
    blobBytes += blob.bytes.length;
    const hex = hexOf(blob.digest);
    write(`${V2}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`, blob.bytes);
  };
  let layerCounter = 0;
  const newLayer = (mediaType) => {
    const n = 200 + Math.floor(rand() * 1800);
    const bytes = Buffer.allocUnsafe(n);
    const head = Buffer.from(`regsweep bench layer ${++layerCounter}\n`);
    head.copy(bytes);
    for (let i = head.length; i < n; i++) bytes[i] = Math.floor(rand() * 256);
    return { digest: sha256(bytes), mediaType, bytes };
  };
  const descriptor = (b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.bytes.length });

  const bases = Array.from({ length: 8 }, () => newLayer(MT.dockerLayer));
  const runtimes = Array.from({ length: 200 }, () => newLayer(MT.dockerLayer));
  let imageCounter = 0;
  const newImage = (format, base, platform = { os: "linux", architecture: "amd64" }) => {
    const layerType = format === "oci" ? MT.ociLayer : MT.dockerLayer;
    const unique = 1 + (rand() < 0.45 ? 1 : 0) + (rand() < 0.25 ? 1 : 0);
    const layers = [
      base,
      ...(rand() < 0.5 ? [pick(runtimes)] : []),
      ...Array.from({ length: unique }, () => newLayer(layerType)),
    ];
    const config = {
      mediaType: format === "oci" ? MT.ociConfig : MT.dockerConfig,
      bytes: Buffer.from(
        JSON.stringify({
          architecture: platform.architecture,
          os: platform.os,
          created: new Date(Date.UTC(2024, 0, 1) + ++imageCounter * 60_000).toISOString(),
          config: { Labels: { "regsweep.bench.image": String(imageCounter) } },
          rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
        }),
      ),
    };
    config.digest = sha256(config.bytes);
    const mediaType = format === "oci" ? MT.ociManifest : MT.dockerManifest;
    const bytes = Buffer.from(
      JSON.stringify(
        { schemaVersion: 2, mediaType, config: descriptor(config), layers: layers.map(descriptor) },
        null,
        3,
      ),
    );
    return { digest: sha256(bytes), mediaType, bytes, blobs: [config, ...layers], children: [], platform };
  };
  const newIndex = (children, format) => {
    const mediaType = format === "oci" ? MT.ociIndex : MT.dockerList;
    const bytes = Buffer.from(
      JSON.stringify(
        {
          schemaVersion: 2,
          mediaType,
          manifests: children.map((c) => ({ ...descriptor(c), platform: c.platform })),
        },
        null,
        3,
      ),
    );
    return { digest: sha256(bytes), mediaType, bytes, blobs: [], children };
  };

  const meta = {
    manifests: 0,
    repositories: repoCount,
    tags: 0,
    tagPushes: 0,
    blobs: 0,
    blobBytes: 0,
    files: 0,
    multiArchTags: [],
  };
  /** Images pushed so far, for cross-repository re-pushes. */
  const pushedImages = [];
  const perRepo = Math.floor(manifests / repoCount);
  let extra = manifests - perRepo * repoCount;

  for (let r = 0; r < repoCount; r++) {
    const repository = `team${r % 25}/service-${r}`;
    const repoDir = `${V2}/repositories/${repository}`;
    const base = bases[r % bases.length];
    const linked = new Set();
    const revisions = new Set();
    const tagIndex = new Map();
    const tagCurrent = new Map();
    const pushManifest = (m) => {
      for (const c of m.children) pushManifest(c);
      for (const b of m.blobs) {
        putBlob(b);
        if (!linked.has(b.digest)) {
          linked.add(b.digest);
          write(`${repoDir}/_layers/sha256/${hexOf(b.digest)}/link`, b.digest);
        }
      }
      putBlob(m);
      if (!revisions.has(m.digest)) {
        revisions.add(m.digest);
        write(`${repoDir}/_manifests/revisions/sha256/${hexOf(m.digest)}/link`, m.digest);
      }
    };
    const tag = (name, m) => {
      meta.tagPushes++;
      if (!tagIndex.has(name)) tagIndex.set(name, new Set());
      const index = tagIndex.get(name);
      if (!index.has(m.digest)) {
        index.add(m.digest);
        write(`${repoDir}/_manifests/tags/${name}/index/sha256/${hexOf(m.digest)}/link`, m.digest);
      }
      write(`${repoDir}/_manifests/tags/${name}/current/link`, m.digest);
      tagCurrent.set(name, m);
    };

    let budget = perRepo + (extra-- > 0 ? 1 : 0);
    const tagPool = Array.from({ length: Math.max(2, Math.round(budget / 6)) }, (_, i) =>
      i === 0 ? "latest" : `v${i}`,
    );
    while (budget > 0) {
      const roll = rand();
      if (roll < 0.25 && budget >= 3) {
        const format = rand() < 0.7 ? "oci" : "docker";
        const children = ["amd64", "arm64"].map((architecture) =>
          newImage(format, base, { os: "linux", architecture }),
        );
        const idx = newIndex(children, format);
        pushManifest(idx);
        tag(pick(tagPool), idx);
        budget -= 3;
      } else if (roll < 0.3 && pushedImages.length > 0) {
        const m = pick(pushedImages);
        if (revisions.has(m.digest)) continue;
        pushManifest(m);
        tag(pick(tagPool), m);
        budget -= 1;
      } else {
        const m = newImage(rand() < 0.7 ? "docker" : "oci", base);
        pushManifest(m);
        if (rand() >= 0.05) tag(pick(tagPool), m); // else pushed by digest only
        if (rand() < 0.05) pushedImages.push(m);
        budget -= 1;
      }
    }
    meta.manifests += revisions.size;
    meta.tags += tagCurrent.size;
    for (const [name, m] of tagCurrent) {
      if (m.children.length > 0) {
        meta.multiArchTags.push({
          repository,
          tag: name,
          digest: m.digest,
          children: m.children.map((c) => c.digest),
        });
      }
    }
  }
  meta.blobs = blobsWritten.size;
  meta.blobBytes = blobBytes;
  meta.files = files;
  return meta;
}
