/**
 * The registry versions regsweep is tested against, as data.
 *
 * Every per-version difference the lab and the tests expect lives here, never in `if (version === …)`
 * branches. Sources: distribution at each release tag and probes against running registries, summarised
 * in shared/notes/registry-versions.md.
 */

/** How a version's binary takes its configuration file. 2.2/2.3 have a single root command. */
export type CliForm = "bare" | "serve";

/** What `registry garbage-collect` can do in a version. */
export type GcFlavour =
  /** No garbage-collect command at all (2.2, 2.3). */
  | "none"
  /** Marks every revision, tagged or not; `-d` only (2.4–2.6). */
  | "mark-all-revisions"
  /** `-m/--delete-untagged` deletes untagged children of tagged indexes (2.7, 2.8: the multi-arch bug). */
  | "delete-untagged-unsafe"
  /** `-m` recurses into indexes and also removes unreferenced layer links (3.0). */
  | "delete-untagged-index-aware";

/**
 * How `GET /v2/<name>/tags/list` pages (`registry/handlers/tags.go` at each tag).
 * - `none` (2.x): `n` and `last` are ignored, every tag comes back, never a `Link`.
 * - `slice` (3.0): the whole list is read, then cut after `last` and to `n`; `Link` only when tags remain.
 * - `store` (3.1): the tag store walks at most `n` tags; `Link` whenever a page is full, so the last
 *   full page still links to an empty one. Without `n`, every tag comes back.
 */
export type TagsPagination = "none" | "slice" | "store";

/**
 * What 3.1 does with `n` above `tags.maxtags` (default 1000, `configuration/configuration.go`):
 * 3.1.0 answers 400 `PAGINATION_NUMBER_INVALID`; 3.1.1 clamps `n` to maxtags (fewer tags, with a `Link`).
 * `unlimited`: no such setting (2.x, 3.0).
 */
export type TagsOverMaxTags = "unlimited" | "rejected" | "clamped";

/** Manifest media types a version accepts on PUT. */
export type ManifestKind = "schema1" | "schema2" | "manifest-list" | "oci-manifest" | "oci-index";

/** One registry version and what it does differently. */
export interface RegistryVersion {
  version: string;
  cliForm: CliForm;
  /** Extra environment the binary needs to run quietly in a lab. */
  env: Readonly<Record<string, string>>;
  /** Where a Debian package of this exact version lives, for machines without Docker Hub. */
  debian?: { suite: string; package: string };
  /** The official image, for machines that reach Docker Hub. */
  officialImage: string;
  /** Manifest kinds a PUT can store. 2.7+ refuse schema1 unless `compatibility.schema1.enabled` is set. */
  accepts: readonly ManifestKind[];
  gc: GcFlavour;
  /** DELETE /v2/<name>/manifests/<tag> removes only that tag (3.x); 2.x answer 400 DIGEST_INVALID. */
  deleteByTag: boolean;
  /**
   * Tag DELETE answers 405 UNSUPPORTED while `storage.delete.enabled` is false (3.1.1: `DeleteManifest` checks
   * `deleteEnabled` before its tag branch); 3.0.0 and 3.1.0 delete the tag anyway. Meaningless without `deleteByTag`.
   */
  tagDeleteNeedsDeleteEnabled: boolean;
  tagsPagination: TagsPagination;
  tagsOverMaxTags: TagsOverMaxTags;
  /** DELETE by digest also removes the tags whose current link is that digest (2.3+); 2.2 leaves them dangling. */
  untagsOnDigestDelete: boolean;
  /** HEAD on manifests answers like GET (2.3+); 2.2 says 405. */
  headManifest: boolean;
  /** Splits a comma-separated Accept header (2.5+); 2.3/2.4 compare each header value whole. */
  commaSplitAccept: boolean;
  /** Stores schema1 signatures as separate blobs linked under the revision (2.2–2.4). */
  schema1SignatureBlobs: boolean;
}

const S1: readonly ManifestKind[] = ["schema1"];
const S2: readonly ManifestKind[] = ["schema1", "schema2", "manifest-list"];
const S2_OCI: readonly ManifestKind[] = ["schema1", "schema2", "manifest-list", "oci-manifest", "oci-index"];
const V3: readonly ManifestKind[] = ["schema2", "manifest-list", "oci-manifest", "oci-index"];

/** Every version the lab knows, oldest first. */
export const registryVersions: readonly RegistryVersion[] = [
  {
    version: "2.2.1",
    cliForm: "bare",
    env: {},
    officialImage: "registry:2.2.1",
    accepts: S1,
    gc: "none",
    deleteByTag: false,
    tagDeleteNeedsDeleteEnabled: false,
    tagsPagination: "none",
    tagsOverMaxTags: "unlimited",
    untagsOnDigestDelete: false,
    headManifest: false,
    commaSplitAccept: false,
    schema1SignatureBlobs: true,
  },
  {
    version: "2.3.1",
    cliForm: "bare",
    env: {},
    officialImage: "registry:2.3.1",
    accepts: S2,
    gc: "none",
    deleteByTag: false,
    tagDeleteNeedsDeleteEnabled: false,
    tagsPagination: "none",
    tagsOverMaxTags: "unlimited",
    untagsOnDigestDelete: true,
    headManifest: true,
    commaSplitAccept: false,
    schema1SignatureBlobs: true,
  },
  {
    version: "2.4.1",
    cliForm: "serve",
    env: {},
    officialImage: "registry:2.4.1",
    accepts: S2,
    gc: "mark-all-revisions",
    deleteByTag: false,
    tagDeleteNeedsDeleteEnabled: false,
    tagsPagination: "none",
    tagsOverMaxTags: "unlimited",
    untagsOnDigestDelete: true,
    headManifest: true,
    commaSplitAccept: false,
    schema1SignatureBlobs: true,
  },
  ...(["2.5.2", "2.6.2"] as const).map(
    (version): RegistryVersion => ({
      version,
      cliForm: "serve",
      env: {},
      officialImage: `registry:${version}`,
      accepts: S2,
      gc: "mark-all-revisions",
      deleteByTag: false,
      tagDeleteNeedsDeleteEnabled: false,
      tagsPagination: "none",
      tagsOverMaxTags: "unlimited",
      untagsOnDigestDelete: true,
      headManifest: true,
      commaSplitAccept: true,
      schema1SignatureBlobs: false,
    }),
  ),
  ...(
    [
      ["2.7.1", "bullseye"],
      ["2.8.2", "bookworm"],
      ["2.8.3", "trixie"],
    ] as const
  ).map(
    ([version, suite]): RegistryVersion => ({
      version,
      cliForm: "serve",
      env: {},
      debian: { suite, package: "docker-registry" },
      officialImage: `registry:${version}`,
      accepts: S2_OCI,
      gc: "delete-untagged-unsafe",
      deleteByTag: false,
      tagDeleteNeedsDeleteEnabled: false,
      tagsPagination: "none",
      tagsOverMaxTags: "unlimited",
      untagsOnDigestDelete: true,
      headManifest: true,
      commaSplitAccept: true,
      schema1SignatureBlobs: false,
    }),
  ),
  ...(
    [
      // 3.0.0: tag DELETE ignores storage.delete.enabled; tags/list slices the full list.
      ["3.0.0", false, "slice", "unlimited"],
      // 3.1.0: paged in the tag store (`tagstore.go`, `List(ctx, limit, last)`), n > tags.maxtags refused.
      ["3.1.0", false, "store", "rejected"],
      // 3.1.1: tag DELETE refused with delete disabled; n > tags.maxtags clamped.
      ["3.1.1", true, "store", "clamped"],
    ] as const
  ).map(
    ([version, tagDeleteNeedsDeleteEnabled, tagsPagination, tagsOverMaxTags]): RegistryVersion => ({
      version,
      cliForm: "serve",
      env: { OTEL_TRACES_EXPORTER: "none" },
      officialImage: `registry:${version}`,
      accepts: V3,
      gc: "delete-untagged-index-aware",
      deleteByTag: true,
      tagDeleteNeedsDeleteEnabled,
      tagsPagination,
      tagsOverMaxTags,
      untagsOnDigestDelete: true,
      headManifest: true,
      commaSplitAccept: true,
      schema1SignatureBlobs: false,
    }),
  ),
];

/** The entry for a version string, or an error naming the versions we know. */
export function findRegistryVersion(version: string): RegistryVersion {
  const found = registryVersions.find((v) => v.version === version);
  if (!found) {
    throw new Error(
      `unknown registry version '${version}' (known: ${registryVersions.map((v) => v.version).join(", ")})`,
    );
  }
  return found;
}
