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
      untagsOnDigestDelete: true,
      headManifest: true,
      commaSplitAccept: true,
      schema1SignatureBlobs: false,
    }),
  ),
  {
    version: "3.0.0",
    cliForm: "serve",
    env: { OTEL_TRACES_EXPORTER: "none" },
    officialImage: "registry:3.0.0",
    accepts: V3,
    gc: "delete-untagged-index-aware",
    deleteByTag: true,
    untagsOnDigestDelete: true,
    headManifest: true,
    commaSplitAccept: true,
    schema1SignatureBlobs: false,
  },
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
