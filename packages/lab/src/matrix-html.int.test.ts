import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterEach, expect, test } from "vitest";
import type { MatrixReport } from "./matrix.js";
import { renderMatrixHtml } from "./matrix-render.js";
import { summarizeCells } from "./matrix-summary.js";

const run = promisify(execFile);
const CHROMIUM = "/usr/bin/chromium";

// Everything that could phone home or keep state is off; the profile is fresh and removed afterwards.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** The DOM Debian's chromium builds from the page, serialised (`--dump-dom`). */
async function renderedDom(html: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "regsweep-chromium-"));
  dirs.push(dir);
  const page = join(dir, "matrix.html");
  await writeFile(page, html);
  const { stdout } = await run(
    CHROMIUM,
    [...FLAGS, `--user-data-dir=${join(dir, "profile")}`, "--dump-dom", pathToFileURL(page).href],
    { timeout: 90_000, maxBuffer: 16 << 20 },
  );
  return stdout;
}

/** The text of each cell of each `<tr data-version data-storage>` row of the summary table, as the browser built it. */
function summaryRows(dom: string): string[][] {
  const table = /<table id="summary">([\s\S]*?)<\/table>/.exec(dom)?.[1] ?? "";
  return [...table.matchAll(/<tr data-version="[^"]*" data-storage="[^"]*">([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? "").matchAll(/<t[hd]>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1] ?? ""),
  );
}

const cell = (version: string, scenario: string, verdict: MatrixReport["cells"][number]["verdict"]) => ({
  version,
  scenario,
  verdict,
  status: verdict === "skip" ? ("skip" as const) : verdict === "pass" ? ("pass" as const) : ("fail" as const),
  durationMs: 1000,
  log: [],
  ...(verdict === "skip" ? { error: "registry 2.2.1 takes no <oci-index>" } : {}),
  ...(verdict === "FAIL" ? { error: "Error: boom" } : {}),
});

test("a real headless chromium reads the per-version counts and skip reasons of matrix.html", async () => {
  const cells = [
    cell("2.2.1", "s1", "pass"),
    cell("2.2.1", "s2", "skip"),
    cell("2.8.3", "s1", "pass"),
    cell("2.8.3", "s2", "FAIL"),
  ];
  const report: MatrixReport = {
    runtime: "process",
    fixtureMode: "schema1",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 4000,
    versions: ["2.2.1", "2.8.3"],
    scenarios: [
      { name: "s1", description: "one" },
      { name: "s2", description: "two" },
    ],
    cells,
    summary: summarizeCells(["2.2.1", "2.8.3"], cells),
    ok: false,
  };
  const dom = await renderedDom(renderMatrixHtml(report));
  // version, storage driver (a report without one is filesystem), cells, ran, passed, expected
  // differences, unexpected passes, failed, skipped
  expect(summaryRows(dom)).toEqual([
    ["2.2.1", "filesystem", "2", "1", "1", "0", "0", "0", "1"],
    ["2.8.3", "filesystem", "2", "2", "1", "0", "0", "1", "0"],
  ]);
  expect(dom).toContain("<li>2.2.1 filesystem s2: registry 2.2.1 takes no &lt;oci-index&gt;</li>");
  expect(/<strong id="result">([^<]*)<\/strong>/.exec(dom)?.[1]).toBe("unexpected failures");
  expect(dom).toContain("schema1 fixtures");
}, 120_000);
