/**
 * Cells known to fail, as data: a version × scenario pair with the reason. A listed cell that fails is an
 * "expected difference", not a matrix failure; a listed cell that passes is reported so the entry can go.
 */
export interface ExpectedDifference {
  version: string;
  scenario: string;
  reason: string;
}

/** Currently none: every cell on every runnable version is expected to pass. */
export const expectedDifferences: readonly ExpectedDifference[] = [];

/** The entry for a cell, if it is expected to fail. */
export function findExpectedDifference(
  version: string,
  scenario: string,
  table: readonly ExpectedDifference[] = expectedDifferences,
): ExpectedDifference | undefined {
  return table.find((d) => d.version === version && d.scenario === scenario);
}
