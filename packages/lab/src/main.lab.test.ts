import { type ChildProcess, spawn } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultTestVersion, registryBinary, repoRoot, trackProcess } from "@regsweep/testbed";
import { afterEach, describe, expect, test } from "vitest";
import { dockerClient } from "./docker-client.js";
import { INTERRUPTED_EXIT_CODE, TERMINATED_EXIT_CODE } from "./main.js";
import type { MatrixReport } from "./matrix.js";
import { localRegistryImage } from "./registry-container.js";

const MAIN = join(repoRoot(), "packages", "lab", "dist", "main.js");
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) {
    // When a test fails, what the lab left behind under its TMPDIR is ended here (by pid) so it cannot leak.
    for (const p of await processesMentioning(d)) process.kill(Number(p.split(":")[0]), "SIGKILL");
    for (const c of await containersMounting(d))
      await dockerClient()
        .getContainer(c.split(" ")[0] as string)
        .remove({ force: true });
    await rm(d, { recursive: true, force: true });
  }
});

/** A scratch folder with its own TMPDIR: everything the lab makes (storage, configs) lands below it. */
async function scratch(): Promise<{ dir: string; tmp: string; reports: string }> {
  const dir = await mkdtemp(join(tmpdir(), "regsweep-lab-main-"));
  dirs.push(dir);
  const tmp = join(dir, "tmp");
  await mkdir(tmp);
  return { dir, tmp, reports: join(dir, "reports") };
}

function startLab(args: string[], tmp: string): { child: ChildProcess; stderr: () => string } {
  const child = trackProcess(
    spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ["ignore", "pipe", "pipe"],
    }),
    { kind: "lab" },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.resume();
  return { child, stderr: () => stderr };
}

function exitCode(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "?")));
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Command lines of live processes that mention `text` (the lab's TMPDIR: registry configs and trees). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.replaceAll("\0", " ")}`);
  }
  return found;
}

/** Containers (any state) with a bind mount below `dir`: the lab's registry containers for that TMPDIR. */
async function containersMounting(dir: string): Promise<string[]> {
  const docker = dockerClient();
  const all = await docker.listContainers({ all: true, filters: { label: ["org.regsweep.lab=registry"] } });
  return all
    .filter((c) => c.Mounts.some((m) => m.Source.startsWith(dir)))
    .map((c) => `${c.Id.slice(0, 12)} ${c.Image} ${c.State}`);
}

/** `matrix <options>` on killed-apply-resumes (a cell long enough to stop mid-way), reports in `reports`. */
function killedApplyMatrix(reports: string, ...options: string[]): string[] {
  return ["matrix", ...options, "--scenarios", "killed-apply-resumes", "--report-dir", reports];
}

async function readReport(reports: string): Promise<MatrixReport> {
  return JSON.parse(await readFile(join(reports, "matrix.json"), "utf8")) as MatrixReport;
}

describe("regsweep-lab matrix", () => {
  test("Ctrl-C stops the running cell: its registry is stopped, temp dirs removed, exit 130", async () => {
    const { tmp, reports } = await scratch();
    const version = defaultTestVersion();
    const lab = startLab(killedApplyMatrix(reports, "--versions", version), tmp);
    const exited = exitCode(lab.child);
    await until("the first cell to start", () => lab.stderr().includes(": running"));
    // Interrupt once the cell's registry runs (its config lives under our TMPDIR) and the scenario is busy.
    await until("the cell's registry", async () =>
      (await processesMentioning(tmp)).some((p) => p.includes("config.yml")),
    );
    await new Promise((r) => setTimeout(r, 1_000));

    lab.child.kill("SIGINT");
    expect(await exited, lab.stderr()).toBe(INTERRUPTED_EXIT_CODE);
    expect(await processesMentioning(tmp)).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
    const report = await readReport(reports);
    expect(report.interrupted).toBe(true);
    expect(report.ok).toBe(false);
    expect(report.cells).toEqual([]);
  });

  test("SIGTERM during an s3 cell: the cell's registry and the run's S3 server are stopped, exit 143", async () => {
    const { tmp, reports } = await scratch();
    const version = defaultTestVersion();
    const lab = startLab(killedApplyMatrix(reports, "--versions", version, "--storage-driver", "s3"), tmp);
    const exited = exitCode(lab.child);
    await until("the first cell to start", () => lab.stderr().includes(": running"));
    // The S3 server's folder and the cell's registry config are both under our TMPDIR.
    const server = (p: string) => p.includes("swift-proxy-server") || p.includes("radosgw");
    await until("the S3 server and the cell's registry", async () => {
      const running = await processesMentioning(tmp);
      return running.some(server) && running.some((p) => p.includes("config.yml"));
    });
    await new Promise((r) => setTimeout(r, 1_000));

    lab.child.kill("SIGTERM");
    expect(await exited, lab.stderr()).toBe(TERMINATED_EXIT_CODE);
    expect(await processesMentioning(tmp)).toEqual([]);
    expect((await readdir(tmp)).filter((f) => f.startsWith("regsweep"))).toEqual([]);
    expect(await readReport(reports)).toMatchObject({ interrupted: true, ok: false });
  });

  test("Ctrl-C with --registry-image (container runtime): the cell's container is gone, exit 130", async () => {
    const { tmp, reports } = await scratch();
    const version = defaultTestVersion();
    const image = localRegistryImage(version);
    const lab = startLab(killedApplyMatrix(reports, "--registry-image", image, "--as-version", version), tmp);
    const exited = exitCode(lab.child);
    await until("the cell's container", async () => (await containersMounting(tmp)).length > 0);
    await new Promise((r) => setTimeout(r, 1_000));
    lab.child.kill("SIGINT");
    expect(await exited, lab.stderr()).toBe(INTERRUPTED_EXIT_CODE);
    expect(await containersMounting(tmp)).toEqual([]);
    expect(await processesMentioning(tmp)).toEqual([]);
    // The lab's temp dirs are all `regsweep-*`; testcontainers keeps its own lock file there.
    expect((await readdir(tmp)).filter((f) => f.startsWith("regsweep"))).toEqual([]);
    const report = await readReport(reports);
    expect(report).toMatchObject({
      runtime: "container",
      interrupted: true,
      registry: { image, asVersion: version },
    });
  });

  test("--registry-binary <path> --as-version runs the scenarios on that binary with the version's row", async () => {
    const { dir, tmp, reports } = await scratch();
    const version = "2.8.3";
    const cached = registryBinary(version);
    if (!cached) throw new Error(`registry ${version} is not in .cache/registries: run scripts/setup.sh`);
    // A copy elsewhere: the lab must run the path it is given, not look the version up.
    const binary = join(dir, "my-registry");
    await copyFile(cached, binary);
    await chmod(binary, 0o755);
    const args = ["matrix", "--scenarios", "deleting-actually-deletes", "--as-version", version];

    const good = startLab([...args, "--registry-binary", binary, "--report-dir", reports], tmp);
    const seen: string[] = [];
    const watch = setInterval(() => {
      void processesMentioning(binary).then((p) => seen.push(...p));
    }, 100);
    const code = await exitCode(good.child);
    clearInterval(watch);
    expect(code, good.stderr()).toBe(0);
    expect(seen.length, "the pointed-at binary never ran").toBeGreaterThan(0);
    const report = await readReport(reports);
    expect(report.registry).toEqual({ binary, asVersion: version });
    expect(report.versions).toEqual([version]);
    expect(report.cells.map((c) => [c.version, c.scenario, c.verdict])).toEqual([
      [version, "deleting-actually-deletes", "pass"],
    ]);

    // Not a registry at all: the cell fails to start, so the option is what decides what runs.
    const bad = startLab([...args, "--registry-binary", "/bin/true", "--report-dir", reports], tmp);
    expect(await exitCode(bad.child), bad.stderr()).toBe(1);
    expect((await readReport(reports)).cells.map((c) => c.verdict)).toEqual(["FAIL"]);
    expect(await processesMentioning(tmp)).toEqual([]);
  });
});
