import { describe, expect, it } from "vitest";
import { parsePath, pathFor, type StoragePath } from "./storage-paths.js";

const H = "ab".repeat(32);
const S = "cd".repeat(32);
const D = `sha256:${H}` as const;
const SIG = `sha256:${S}` as const;
const R = "docker/registry/v2/repositories";

// The table is the layout: each row is a storage item and the path distribution writes for it.
const table: Array<[StoragePath, string]> = [
  [{ kind: "blob-data", digest: D }, `docker/registry/v2/blobs/sha256/ab/${H}/data`],
  [{ kind: "repository", repository: "org/team/app" }, `${R}/org/team/app`],
  [
    { kind: "revision-link", repository: "test/a", digest: D },
    `${R}/test/a/_manifests/revisions/sha256/${H}/link`,
  ],
  [
    { kind: "signature-link", repository: "a", digest: D, signature: SIG },
    `${R}/a/_manifests/revisions/sha256/${H}/signatures/sha256/${S}/link`,
  ],
  [{ kind: "tag-dir", repository: "test/c", tag: "1" }, `${R}/test/c/_manifests/tags/1`],
  [
    { kind: "tag-current-link", repository: "test/c", tag: "v1.0" },
    `${R}/test/c/_manifests/tags/v1.0/current/link`,
  ],
  [
    { kind: "tag-index-link", repository: "test/c", tag: "2", digest: D },
    `${R}/test/c/_manifests/tags/2/index/sha256/${H}/link`,
  ],
  [{ kind: "layer-link", repository: "x/y", digest: D }, `${R}/x/y/_layers/sha256/${H}/link`],
  [{ kind: "upload-dir", repository: "x", upload: "5b0c-uuid" }, `${R}/x/_uploads/5b0c-uuid`],
];

describe("storage paths", () => {
  it.each(table)("pathFor(%j) = %s and parses back", (item, path) => {
    expect(pathFor(item)).toBe(path);
    expect(parsePath(path)).toEqual(item);
  });

  it.each([
    "docker/registry/v2",
    "docker/registry/v2/blobs/sha256/zz/abc/data",
    `docker/registry/v2/blobs/sha256/ff/${H}/data`,
    `docker/registry/v2/blobs/sha256/ab/${H}/other`,
    `${R}/_layers/sha256/${H}/link`,
    `${R}/a/_layers/sha256/${H}`,
    `${R}/a/_manifests/revisions/sha256/short/link`,
    `${R}/a/_unknown/x`,
    "elsewhere/docker/registry/v2/repositories/a",
  ])("parsePath(%s) is undefined", (path) => {
    expect(parsePath(path)).toBeUndefined();
  });
});
