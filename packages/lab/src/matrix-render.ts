import type { StorageDriver } from "./cell-storage.js";
import type { MatrixCell, MatrixReport } from "./matrix.js";
import { driverOf, type VersionSummary } from "./matrix-summary.js";

/** One column of the cell tables: a version on a storage driver. */
interface Column {
  version: string;
  storageDriver: StorageDriver;
  /** `2.8.3 filesystem`, `2.8.3 s3`. */
  label: string;
}

/** The report's columns: each version on each of its drivers (old reports: filesystem only). */
function columns(report: MatrixReport): Column[] {
  const drivers = report.storageDrivers ?? ["filesystem"];
  return report.versions.flatMap((version) =>
    drivers.map((storageDriver) => ({ version, storageDriver, label: `${version} ${storageDriver}` })),
  );
}

function cellAt(report: MatrixReport, column: Column, scenario: string): MatrixCell | undefined {
  return report.cells.find(
    (c) => c.version === column.version && driverOf(c) === column.storageDriver && c.scenario === scenario,
  );
}

/** Where the cells' storage was: `filesystem`, `s3 (swift)`, or both. */
function storageText(report: MatrixReport): string {
  return (report.storageDrivers ?? ["filesystem"])
    .map((d) => (d === "s3" && report.s3Server ? `s3 (${report.s3Server})` : d))
    .join(" and ");
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** One progress line for a finished cell (printed on stderr while the matrix runs). */
export function renderProgressLine(cell: MatrixCell, done: number, total: number): string {
  const first = cell.verdict === "FAIL" ? `  ${cell.error?.split("\n")[0] ?? ""}` : "";
  return `[${done}/${total}] ${cell.version} ${driverOf(cell)} ${cell.scenario}: ${cell.verdict} (${seconds(cell.durationMs)})${first}\n`;
}

/** The summary's column headings, in order (also the HTML table's). */
export const SUMMARY_HEADINGS = [
  "version",
  "storage",
  "cells",
  "ran",
  "passed",
  "expected differences",
  "unexpected passes",
  "failed",
  "skipped",
] as const;

function summaryRow(s: VersionSummary): (string | number)[] {
  return [
    s.version,
    driverOf(s),
    s.cells,
    s.ran,
    s.passed,
    s.expectedDifferences,
    s.unexpectedPasses,
    s.failed,
    s.skipped.length,
  ];
}

/** Every skip of the report with its reason, one line each: `version driver scenario: reason`. */
function skipLines(report: MatrixReport): string[] {
  return report.summary.flatMap((s) =>
    s.skipped.map((k) => `${s.version} ${driverOf(s)} ${k.scenario}: ${k.reason}`),
  );
}

/** Per version and driver: cells, ran, passed, expected differences, failures, skipped; then each skip's reason. */
export function renderSummaryText(report: MatrixReport): string {
  const rows = [SUMMARY_HEADINGS.map(String), ...report.summary.map((s) => summaryRow(s).map(String))];
  const widths = SUMMARY_HEADINGS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const skips = skipLines(report);
  return [...lines, ...(skips.length > 0 ? ["", "skipped:", ...skips.map((l) => `  ${l}`)] : []), ""].join(
    "\n",
  );
}

/** The scenario × version and driver table as plain text, with the verdict legend and overall result. */
export function renderMatrixTable(report: MatrixReport): string {
  const width = Math.max(8, ...report.scenarios.map((s) => s.name.length));
  const cols = columns(report);
  const header = `${"scenario".padEnd(width)}  ${cols.map((c) => c.label.padEnd(20)).join("")}`;
  const rows = report.scenarios.map(
    (s) =>
      `${s.name.padEnd(width)}  ${cols
        .map((col) => {
          const c = cellAt(report, col, s.name);
          return (c ? `${c.verdict} ${seconds(c.durationMs)}` : "-").padEnd(20);
        })
        .join("")}`,
  );
  const failures = report.cells.filter((c) => c.verdict === "FAIL");
  return [
    header,
    ...rows,
    "",
    renderSummaryText(report),
    `${report.cells.length} cells in ${seconds(report.durationMs)} (${report.runtime} runtime, ${report.fixtureMode} fixtures, storage ${storageText(report)}` +
      `${report.registry ? `, ${report.registry.binary ?? report.registry.image} as ${report.registry.asVersion}` : ""}): ` +
      (report.interrupted
        ? `interrupted; ${failures.length} unexpected failure(s) before`
        : report.ok
          ? "no unexpected failure"
          : `${failures.length} unexpected failure(s)`),
    "",
  ].join("\n");
}

/** The report as Markdown: the table, then each failure's log. */
export function renderMatrixMarkdown(report: MatrixReport): string {
  const lines = [
    `# regsweep lab matrix`,
    "",
    `${report.startedAt}, ${report.runtime} runtime, ${report.fixtureMode} fixtures, storage ${storageText(report)}, ${seconds(report.durationMs)}: ${report.ok ? "ok" : "**unexpected failures**"}`,
    "",
    `| ${SUMMARY_HEADINGS.join(" | ")} |`,
    `|${SUMMARY_HEADINGS.map(() => "---").join("|")}|`,
    ...report.summary.map((s) => `| ${summaryRow(s).join(" | ")} |`),
    "",
    ...(skipLines(report).length > 0
      ? [
          "Skipped (the thing under test does not exist there):",
          "",
          ...skipLines(report).map((l) => `- ${l}`),
          "",
        ]
      : []),
    `| scenario | ${columns(report)
      .map((c) => c.label)
      .join(" | ")} |`,
    `|---|${columns(report)
      .map(() => "---")
      .join("|")}|`,
    ...report.scenarios.map(
      (s) =>
        `| ${s.name} | ${columns(report)
          .map((col) => {
            const c = cellAt(report, col, s.name);
            return c ? `${c.verdict} (${seconds(c.durationMs)})` : "-";
          })
          .join(" | ")} |`,
    ),
    "",
  ];
  for (const c of report.cells.filter((c) => c.verdict !== "pass" && c.verdict !== "skip")) {
    lines.push(
      `## ${c.version} ${driverOf(c)} × ${c.scenario}: ${c.verdict}`,
      "",
      "```",
      c.error ?? "",
      ...c.log,
      "```",
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch] ?? ch);

/** The report as one self-contained HTML page: a table with per-cell timing, failure logs in `<details>`. */
export function renderMatrixHtml(report: MatrixReport): string {
  const cell = (c: MatrixCell | undefined) => {
    if (!c) return "<td>-</td>";
    const body = `${c.verdict} <small>${seconds(c.durationMs)}</small>`;
    const log = [c.error ?? "", ...c.log].join("\n").trim();
    const details =
      c.verdict === "pass" || !log
        ? ""
        : `<details><summary>log</summary><pre>${escapeHtml(log)}</pre></details>`;
    const reason = c.expectedReason ?? (c.verdict === "skip" ? c.error : undefined);
    const title = reason ? ` title="${escapeHtml(reason)}"` : "";
    return `<td class="${c.verdict}"${title}>${body}${details}</td>`;
  };
  const rows = report.scenarios
    .map(
      (s) =>
        `<tr><th title="${escapeHtml(s.description)}">${escapeHtml(s.name)}</th>${columns(report)
          .map((col) => cell(cellAt(report, col, s.name)))
          .join("")}</tr>`,
    )
    .join("\n");
  const summaryRows = report.summary
    .map(
      (s) =>
        `<tr data-version="${escapeHtml(s.version)}" data-storage="${driverOf(s)}">${summaryRow(s)
          .map((v, i) => (i === 0 ? `<th>${escapeHtml(String(v))}</th>` : `<td>${v}</td>`))
          .join("")}</tr>`,
    )
    .join("\n");
  const skipItems = skipLines(report);
  const skips =
    skipItems.length > 0
      ? `<h2>Skipped</h2>\n<ul id="skipped">${skipItems.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>`
      : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>regsweep lab matrix</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
td.pass{background:#e6f4e6}td.FAIL{background:#fbe3e3}td.expected-difference{background:#fff4d6}
td.skip{color:#888}td.unexpected-pass{background:#e3ecfb}pre{max-width:60rem;white-space:pre-wrap;font-size:.8rem}
</style></head><body>
<h1>regsweep lab matrix</h1>
<p>${escapeHtml(report.startedAt)}, ${report.runtime} runtime, ${report.fixtureMode} fixtures, storage ${escapeHtml(storageText(report))}, ${seconds(report.durationMs)}: <strong id="result">${report.ok ? "ok" : "unexpected failures"}</strong></p>
<h2>Per version and storage driver</h2>
<table id="summary"><thead><tr>${SUMMARY_HEADINGS.map((h) => `<th>${h}</th>`).join("")}</tr></thead>
<tbody>
${summaryRows}
</tbody></table>
${skips}
<h2>Cells</h2>
<table id="cells"><thead><tr><th>scenario</th>${columns(report)
    .map((c) => `<th>${escapeHtml(c.label)}</th>`)
    .join("")}</tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
