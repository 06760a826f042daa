import type { ManifestKind, RegistryVersion } from "@regsweep/testbed";

/**
 * Which manifest kinds a matrix run's fixtures and scenarios use.
 * - `native`: the best a version takes (OCI and schema2 on 2.7+/3.x, schema2 and manifest lists on
 *   2.3–2.6, signed schema1 on 2.2).
 * - `schema2`: Docker schema2 and manifest lists only, no OCI kinds: on 2.7/2.8 this takes the paths 2.3–2.6 take.
 * - `schema1`: signed schema1 only (registries started with `compatibility.schema1.enabled`): on 2.7/2.8 this
 *   takes the paths 2.2 takes.
 */
export type FixtureMode = "native" | "schema2" | "schema1";

/** Every fixture mode, in the order the lab and CI run them. */
export const fixtureModes: readonly FixtureMode[] = ["native", "schema2", "schema1"];

const MODE_KINDS: Record<Exclude<FixtureMode, "native">, readonly ManifestKind[]> = {
  schema2: ["schema2", "manifest-list"],
  schema1: ["schema1"],
};

/**
 * The kinds a cell may push: the version's accepted kinds narrowed by the mode. Native leaves schema1 out
 * wherever schema2 is taken (an engine of today pushes schema2), so only 2.2 gets schema1 natively.
 */
export function cellKinds(version: RegistryVersion, mode: FixtureMode): ManifestKind[] {
  if (mode === "native") {
    return version.accepts.includes("schema2")
      ? version.accepts.filter((k) => k !== "schema1")
      : [...version.accepts];
  }
  const allowed = MODE_KINDS[mode];
  return version.accepts.filter((k) => allowed.includes(k));
}

/** The best image manifest kind among `kinds`: what `pushFixture` and scenario images are written as. */
export type ImageKind = "oci-manifest" | "schema2" | "schema1";

/** OCI where taken, else schema2, else signed schema1; undefined when `kinds` holds no image kind. */
export function bestImageKind(kinds: readonly ManifestKind[]): ImageKind | undefined {
  return (["oci-manifest", "schema2", "schema1"] as const).find((k) => kinds.includes(k));
}

/** The multi-arch kind among `kinds`: an OCI index where taken, else a Docker manifest list (none in schema1). */
export function bestIndexKind(kinds: readonly ManifestKind[]): "oci-index" | "manifest-list" | undefined {
  return (["oci-index", "manifest-list"] as const).find((k) => kinds.includes(k));
}
