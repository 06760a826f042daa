import { expect, test } from "vitest";
import {
  renderCompatibilityTable,
  replaceCompatibilityTable,
  TABLE_END,
  TABLE_START,
} from "./compatibility-table.js";
import type { MatrixReport } from "./matrix.js";
import { summarizeCells } from "./matrix-summary.js";
import { allScenarios } from "./scenarios/all-scenarios.js";

const cells: MatrixReport["cells"] = [
  {
    version: "2.8.3",
    scenario: "a",
    storageDriver: "filesystem",
    status: "pass",
    verdict: "pass",
    durationMs: 1,
    log: [],
  },
  {
    version: "2.8.3",
    scenario: "b",
    storageDriver: "filesystem",
    status: "skip",
    verdict: "skip",
    durationMs: 0,
    error: "why",
    log: [],
  },
];
const report: MatrixReport = {
  runtime: "process",
  fixtureMode: "schema1",
  startedAt: "2026-12-01T20:00:00.000Z",
  durationMs: 1,
  versions: ["2.8.3"],
  storageDrivers: ["filesystem"],
  scenarios: [],
  cells,
  summary: summarizeCells(["2.8.3"], cells),
  ok: true,
};

test("a run's figures say where it ran; versions no run covered are planned from the table, not run", () => {
  const table = renderCompatibilityTable([report], allScenarios);
  expect(table).toContain(
    "| 2.8.3 | schema1 | filesystem | 1 of 2 | 1 | 0 | 0 | 1: b (why) | process runtime, 2026-12-01 |",
  );
  // 2.2.1 was not run: its native row comes from the version table, marked as such.
  expect(table).toMatch(/\| 2\.2\.1 \| native \| filesystem \| \d+ of \d+ \(planned\) \|.*not run here/);
  expect(table).not.toMatch(/\| 2\.8\.3 \| native/);
});

test("a version run on both drivers gets a row per driver, each from the newest run that has it", () => {
  const s3Cells: MatrixReport["cells"] = cells.map((c) => ({ ...c, storageDriver: "s3" as const }));
  const s3Run: MatrixReport = {
    ...report,
    startedAt: "2026-12-02T18:00:00.000Z",
    storageDrivers: ["s3"],
    s3Server: "swift",
    cells: [
      { ...(s3Cells[0] as MatrixReport["cells"][number]), status: "fail", verdict: "FAIL" },
      ...s3Cells.slice(1),
    ],
    summary: [],
    ok: false,
  };
  s3Run.summary = summarizeCells(["2.8.3"], s3Run.cells, ["s3"]);
  const older: MatrixReport = { ...s3Run, startedAt: "2026-11-01T00:00:00.000Z" };
  const table = renderCompatibilityTable([report, older, s3Run], allScenarios);
  expect(table).toContain("| 2.8.3 | schema1 | filesystem | 1 of 2 | 1 | 0 | 0 |");
  expect(table).toContain(
    "| 2.8.3 | schema1 | s3 (swift) | 1 of 2 | 0 | 0 | 1 | 1: b (why) | process runtime, 2026-12-02, **unexpected failures** |",
  );
  expect(table).not.toContain("2026-11-01");
});

test("only the text between the markers is rewritten", () => {
  const readme = `intro\n${TABLE_START}\nold\n${TABLE_END}\noutro\n`;
  expect(replaceCompatibilityTable(readme, `${TABLE_START}\nnew\n${TABLE_END}`)).toBe(
    `intro\n${TABLE_START}\nnew\n${TABLE_END}\noutro\n`,
  );
  expect(() => replaceCompatibilityTable("no markers", "x")).toThrow(/compatibility-table/);
});
