import { describe, expect, test } from "vitest";
import { type MatrixReport, verdictOf } from "./matrix.js";
import { renderMatrixHtml, renderMatrixMarkdown, renderMatrixTable } from "./matrix-render.js";
import { summarizeCells } from "./matrix-summary.js";

const base = {
  version: "2.8.3",
  scenario: "s",
  storageDriver: "filesystem" as const,
  durationMs: 1200,
  log: ["$ regsweep delete <x>"],
};

describe("verdictOf", () => {
  test.each([
    { status: "pass", expected: false, verdict: "pass" },
    { status: "fail", expected: false, verdict: "FAIL" },
    { status: "fail", expected: true, verdict: "expected-difference" },
    { status: "pass", expected: true, verdict: "unexpected-pass" },
    { status: "skip", expected: false, verdict: "skip" },
  ] as const)("$status, listed: $expected → $verdict", ({ status, expected, verdict }) => {
    const difference = expected ? { scenario: "s", where: { version: "2.8.3" }, reason: "r" } : undefined;
    expect(verdictOf({ ...base, status }, difference)).toBe(verdict);
  });
});

const cells: MatrixReport["cells"] = [
  { ...base, status: "fail", verdict: "FAIL", error: "Error: boom <tag>" },
  { ...base, scenario: "t", status: "skip", verdict: "skip", error: "no <index> here" },
];
const report: MatrixReport = {
  runtime: "process",
  fixtureMode: "schema2",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 5000,
  versions: ["2.8.3"],
  storageDrivers: ["filesystem"],
  scenarios: [
    { name: "s", description: "d" },
    { name: "t", description: "e" },
  ],
  cells,
  summary: summarizeCells(["2.8.3"], cells),
  ok: false,
};

test("renderers show the cell, its timing and the escaped failure log", () => {
  expect(renderMatrixTable(report)).toMatch(/s\s+FAIL 1\.2s/);
  expect(renderMatrixMarkdown(report)).toContain("| s | FAIL (1.2s) |");
  const html = renderMatrixHtml(report);
  expect(html).toContain('<td class="FAIL">FAIL <small>1.2s</small><details>');
  expect(html).toContain("Error: boom &lt;tag&gt;");
  expect(html).not.toMatch(/<link|<script src/);
});

test("every report says, per version, what ran, passed, failed and was skipped, with each skip's reason", () => {
  expect(renderMatrixTable(report)).toMatch(/2\.8\.3\s+filesystem\s+2\s+1\s+0\s+0\s+0\s+1\s+1/);
  expect(renderMatrixTable(report)).toContain("2.8.3 filesystem t: no <index> here");
  expect(renderMatrixTable(report)).toContain("schema2 fixtures");
  const md = renderMatrixMarkdown(report);
  expect(md).toContain("| 2.8.3 | filesystem | 2 | 1 | 0 | 0 | 0 | 1 | 1 |");
  expect(md).toContain("- 2.8.3 filesystem t: no <index> here");
  const html = renderMatrixHtml(report);
  expect(html).toContain(
    '<tr data-version="2.8.3" data-storage="filesystem"><th>2.8.3</th><td>filesystem</td><td>2</td><td>1</td><td>0</td>',
  );
  expect(html).toContain("<li>2.8.3 filesystem t: no &lt;index&gt; here</li>");
});

test("a run on both drivers has a column per version and driver, and says which S3 server", () => {
  const s3Cells: MatrixReport["cells"] = [
    { ...base, status: "pass", verdict: "pass" },
    { ...base, storageDriver: "s3", status: "fail", verdict: "FAIL", error: "Error: left keys" },
  ];
  const both: MatrixReport = {
    ...report,
    storageDrivers: ["filesystem", "s3"],
    s3Server: "swift",
    scenarios: [{ name: "s", description: "d" }],
    cells: s3Cells,
    summary: summarizeCells(["2.8.3"], s3Cells, ["filesystem", "s3"]),
  };
  const table = renderMatrixTable(both);
  expect(table).toMatch(/scenario\s+2\.8\.3 filesystem\s+2\.8\.3 s3/);
  expect(table).toMatch(/s\s+pass 1\.2s\s+FAIL 1\.2s/);
  expect(table).toMatch(/2\.8\.3\s+s3\s+1\s+1\s+0\s+0\s+0\s+1\s+0/);
  expect(table).toContain("storage filesystem and s3 (swift)");
  const md = renderMatrixMarkdown(both);
  expect(md).toContain("| scenario | 2.8.3 filesystem | 2.8.3 s3 |");
  expect(md).toContain("| s | pass (1.2s) | FAIL (1.2s) |");
  expect(md).toContain("## 2.8.3 s3 × s: FAIL");
  expect(renderMatrixHtml(both)).toContain('<tr data-version="2.8.3" data-storage="s3">');
});

test("a report from before the storage dimension reads as filesystem", () => {
  const { storageDrivers: _, ...old } = report;
  const oldCells = cells.map(({ storageDriver: _d, ...c }) => c) as MatrixReport["cells"];
  const table = renderMatrixTable({ ...old, cells: oldCells } as MatrixReport);
  expect(table).toMatch(/scenario\s+2\.8\.3 filesystem/);
  expect(table).toMatch(/s\s+FAIL 1\.2s/);
});
