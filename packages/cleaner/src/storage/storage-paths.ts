import { type Digest, isDigest, parseDigest } from "../model/digest.js";

/**
 * The filesystem driver's layout, as distribution's `registry/storage/paths.go` writes it (same in every
 * version 2.2–3.x). Paths here are relative to the storage root (the driver's `rootdirectory`):
 *
 *   docker/registry/v2/
 *   ├── blobs/<alg>/<hex[0:2]>/<hex>/data                                  blob-data
 *   └── repositories/<name>/                                              repository
 *       ├── _manifests/
 *       │   ├── revisions/<alg>/<hex>/link                                revision-link
 *       │   │   └── signatures/<alg>/<hex>/link   (2.2–2.4, schema1)      signature-link
 *       │   └── tags/<tag>/                                               tag-dir
 *       │       ├── current/link                                          tag-current-link
 *       │       └── index/<alg>/<hex>/link                                tag-index-link
 *       ├── _layers/<alg>/<hex>/link                                      layer-link
 *       └── _uploads/<uuid>/{data,startedat,hashstates/…}                 upload-dir
 *
 * `<name>` may have several components (`org/team/app`); it ends where the first `_`-prefixed folder begins.
 */
export type StoragePath =
  | { kind: "blob-data"; digest: Digest }
  | { kind: "repository"; repository: string }
  | { kind: "revision-link"; repository: string; digest: Digest }
  | { kind: "signature-link"; repository: string; digest: Digest; signature: Digest }
  | { kind: "tag-dir"; repository: string; tag: string }
  | { kind: "tag-current-link"; repository: string; tag: string }
  | { kind: "tag-index-link"; repository: string; tag: string; digest: Digest }
  | { kind: "layer-link"; repository: string; digest: Digest }
  | { kind: "upload-dir"; repository: string; upload: string };

/** The folder under the storage root that holds everything the registry writes. */
export const V2_ROOT = "docker/registry/v2";
/** Folder of all blob data. */
export const BLOBS_ROOT = `${V2_ROOT}/blobs`;
/** Folder of all repositories. */
export const REPOSITORIES_ROOT = `${V2_ROOT}/repositories`;

function digestDir(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}/${hex}`;
}

/** The root-relative path of a storage item. */
export function pathFor(p: StoragePath): string {
  switch (p.kind) {
    case "blob-data": {
      const { algorithm, hex } = parseDigest(p.digest);
      return `${BLOBS_ROOT}/${algorithm}/${hex.slice(0, 2)}/${hex}/data`;
    }
    case "repository":
      return `${REPOSITORIES_ROOT}/${p.repository}`;
    case "revision-link":
      return `${REPOSITORIES_ROOT}/${p.repository}/_manifests/revisions/${digestDir(p.digest)}/link`;
    case "signature-link":
      return `${REPOSITORIES_ROOT}/${p.repository}/_manifests/revisions/${digestDir(p.digest)}/signatures/${digestDir(p.signature)}/link`;
    case "tag-dir":
      return `${REPOSITORIES_ROOT}/${p.repository}/_manifests/tags/${p.tag}`;
    case "tag-current-link":
      return `${REPOSITORIES_ROOT}/${p.repository}/_manifests/tags/${p.tag}/current/link`;
    case "tag-index-link":
      return `${REPOSITORIES_ROOT}/${p.repository}/_manifests/tags/${p.tag}/index/${digestDir(p.digest)}/link`;
    case "layer-link":
      return `${REPOSITORIES_ROOT}/${p.repository}/_layers/${digestDir(p.digest)}/link`;
    case "upload-dir":
      return `${REPOSITORIES_ROOT}/${p.repository}/_uploads/${p.upload}`;
  }
}

function digestFrom(algorithm: string | undefined, hex: string | undefined): Digest | undefined {
  const candidate = `${algorithm}:${hex}`;
  return isDigest(candidate) ? candidate : undefined;
}

/** The storage item a root-relative path names, or undefined when it names none of them. */
export function parsePath(path: string): StoragePath | undefined {
  const parts = path.split("/");
  const v2 = V2_ROOT.split("/");
  if (parts.length < v2.length + 2 || v2.some((segment, i) => parts[i] !== segment)) return undefined;
  const [area, ...rest] = parts.slice(v2.length);
  if (area === "blobs") {
    const [algorithm, prefix, hex, file, ...extra] = rest;
    const digest = digestFrom(algorithm, hex);
    if (!digest || file !== "data" || extra.length > 0 || hex?.slice(0, 2) !== prefix) return undefined;
    return { kind: "blob-data", digest };
  }
  if (area !== "repositories") return undefined;
  const split = rest.findIndex((segment) => segment.startsWith("_"));
  if (split === -1) return rest.length > 0 ? { kind: "repository", repository: rest.join("/") } : undefined;
  if (split === 0) return undefined;
  const repository = rest.slice(0, split).join("/");
  const [section, ...tail] = rest.slice(split);
  const link = (segments: string[]) => segments.length === 3 && segments[2] === "link";
  if (section === "_layers") {
    const digest = digestFrom(tail[0], tail[1]);
    return digest && link(tail) ? { kind: "layer-link", repository, digest } : undefined;
  }
  if (section === "_uploads") {
    return tail.length === 1 && tail[0] ? { kind: "upload-dir", repository, upload: tail[0] } : undefined;
  }
  if (section !== "_manifests") return undefined;
  const [group, ...more] = tail;
  if (group === "revisions") {
    const digest = digestFrom(more[0], more[1]);
    if (!digest) return undefined;
    if (link(more)) return { kind: "revision-link", repository, digest };
    const signature = digestFrom(more[3], more[4]);
    if (more[2] === "signatures" && signature && more.length === 6 && more[5] === "link") {
      return { kind: "signature-link", repository, digest, signature };
    }
    return undefined;
  }
  if (group === "tags") {
    const [tag, kind, ...linkParts] = more;
    if (!tag) return undefined;
    if (kind === undefined) return { kind: "tag-dir", repository, tag };
    if (kind === "current" && linkParts.length === 1 && linkParts[0] === "link") {
      return { kind: "tag-current-link", repository, tag };
    }
    const digest = digestFrom(linkParts[0], linkParts[1]);
    if (kind === "index" && digest && link(linkParts))
      return { kind: "tag-index-link", repository, tag, digest };
  }
  return undefined;
}

/** A folder or file of the layout that no single item owns, which the engine lists or reads. */
export type StorageFolder =
  | { kind: "manifests-dir"; repository: string }
  | { kind: "revisions-dir"; repository: string }
  | { kind: "signatures-dir"; repository: string; digest: Digest }
  | { kind: "layers-dir"; repository: string }
  | { kind: "tags-dir"; repository: string }
  | { kind: "tag-index-dir"; repository: string; tag: string }
  | { kind: "uploads-dir"; repository: string }
  | { kind: "upload-data"; repository: string; upload: string }
  | { kind: "upload-startedat"; repository: string; upload: string };

/** The root-relative path of a layout folder (or an upload's file). */
export function folderFor(f: StorageFolder): string {
  const repo = `${REPOSITORIES_ROOT}/${f.repository}`;
  switch (f.kind) {
    case "manifests-dir":
      return `${repo}/_manifests`;
    case "revisions-dir":
      return `${repo}/_manifests/revisions`;
    case "signatures-dir":
      return `${repo}/_manifests/revisions/${digestDir(f.digest)}/signatures`;
    case "layers-dir":
      return `${repo}/_layers`;
    case "tags-dir":
      return `${repo}/_manifests/tags`;
    case "tag-index-dir":
      return `${repo}/_manifests/tags/${f.tag}/index`;
    case "uploads-dir":
      return `${repo}/_uploads`;
    case "upload-data":
      return `${repo}/_uploads/${f.upload}/data`;
    case "upload-startedat":
      return `${repo}/_uploads/${f.upload}/startedat`;
  }
}
