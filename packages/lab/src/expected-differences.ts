import { findRegistryVersion, type RegistryVersion } from "@regsweep/testbed";

/** The scalar facts of the version table a difference can be keyed on (never a bare version string alone). */
export type VersionFacts = Pick<
  RegistryVersion,
  | "version"
  | "cliForm"
  | "gc"
  | "deleteByTag"
  | "untagsOnDigestDelete"
  | "headManifest"
  | "commaSplitAccept"
  | "schema1SignatureBlobs"
>;

/**
 * Cells known to fail, as data: a scenario and the versions it fails on, named by facts of the testbed's
 * version table (e.g. `{ gc: "delete-untagged-unsafe" }` = 2.7 and 2.8), with the reason. A listed cell
 * that fails is an "expected difference", not a matrix failure; a listed cell that passes is reported as
 * an unexpected pass so the entry can go. What a version cannot take at all (2.2: no Docker push) is not
 * listed here: scenarios declare the manifest kinds they need (`requires`) and such cells are skipped.
 */
export interface ExpectedDifference {
  scenario: string;
  /** Every given fact must match the version's entry. */
  where: Partial<VersionFacts>;
  reason: string;
}

/**
 * Currently none: regsweep works offline on the storage tree, so every cell on every version is expected to
 * pass. Where upstream's own behaviour differs per version (its `garbage-collect -m` on multi-arch), the
 * scenario reads the expectation from `upstream-gc-expectations.ts` and asserts it either way.
 */
export const expectedDifferences: readonly ExpectedDifference[] = [];

/** Whether a version's entry has every fact of `where`. */
export function versionMatches(version: RegistryVersion, where: Partial<VersionFacts>): boolean {
  return Object.entries(where).every(([fact, value]) => version[fact as keyof VersionFacts] === value);
}

/** The entry for a cell, if it is expected to fail. */
export function findExpectedDifference(
  version: string,
  scenario: string,
  table: readonly ExpectedDifference[] = expectedDifferences,
): ExpectedDifference | undefined {
  const entry = findRegistryVersion(version);
  return table.find((d) => d.scenario === scenario && versionMatches(entry, d.where));
}
