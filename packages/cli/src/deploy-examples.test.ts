import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { repoRoot } from "@regsweep/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { makeTree } from "../../cleaner/bench/make-tree.mjs";
import type { CliIo } from "./cli-io.js";
import { createProgram, type ProgramState } from "./program.js";

// The scheduled-run examples in deploy/, checked as their users would meet them: systemd's own verifier,
// the CronJob parsed, both command lines documented in the README and run (as a dry run) by the real CLI.
const deploy = join(repoRoot(), "deploy");
const readme = readFileSync(join(repoRoot(), "README.md"), "utf8");
const schedule = readme.slice(readme.indexOf("### Running on a schedule"));
const scheduleSection = schedule.slice(0, schedule.indexOf("\n### ", 1));
const UNITS = ["regsweep-gc.service", "regsweep-gc.timer"];
const BIN = "/usr/local/bin/regsweep";

/** `Key=value` lines of a unit file (comments and sections dropped). */
function unitSettings(text: string): Array<[string, string]> {
  return text
    .split("\n")
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
}

/** The executable of an `Exec*=` value, without systemd's prefixes (`+`, `-`, `@`, `!`, `:`). */
const executable = (value: string) => (value.replace(/^[-+@!:]+/, "").split(" ")[0] as string) ?? "";

const service = readFileSync(join(deploy, "systemd/regsweep-gc.service"), "utf8");
const execStart = unitSettings(service).find(([k]) => k === "ExecStart")?.[1] ?? "";
const systemdArgs = execStart.split(" ").slice(1);
const cronJob = parse(readFileSync(join(deploy, "kubernetes/regsweep-gc-cronjob.yaml"), "utf8"));
const container = cronJob?.spec?.jobTemplate?.spec?.template?.spec?.containers?.[0];

let work = "";
let tree = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "regsweep-deploy-"));
  tree = join(work, "tree");
  makeTree(tree, { manifests: 200 });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs the program in-process; what it printed and the exit code it asked for. */
async function runProgram(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    outLines: async (lines) => {
      for (const line of lines) out.push(line);
    },
    err: (t) => err.push(t),
    interactive: false,
    stderrIsTTY: false,
    env: {},
    confirm: async () => false,
  };
  const state: ProgramState = { exitCode: -1 };
  await createProgram(io, state).parseAsync(args, { from: "user" });
  return { out: out.join("\n"), err: err.join("\n"), code: state.exitCode };
}

describe("deploy/systemd", () => {
  it("passes systemd-analyze verify (Debian's systemd; no systemd running)", () => {
    const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
    expect(
      analyze.error,
      "systemd-analyze not found: scripts/setup.sh installs Debian's systemd",
    ).toBeUndefined();
    // A root of its own: the units under etc/, systemd's own units (targets the defaults depend on), and
    // stand-ins for the commands they run (verify checks that each exists and is executable).
    const root = join(work, "root");
    mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
    mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
    execFileSync("cp", ["-a", "/usr/lib/systemd/system", join(root, "usr/lib/systemd/")]);
    for (const unit of UNITS)
      copyFileSync(join(deploy, "systemd", unit), join(root, "etc/systemd/system", unit));
    const commands = unitSettings(service)
      .filter(([k]) => k.startsWith("Exec"))
      .map(([, v]) => executable(v));
    expect(commands).toContain(BIN);
    for (const command of commands) {
      // Every other command is a system one: it must be where the unit says on a Debian machine.
      if (command !== BIN) expect(existsSync(command), command).toBe(true);
      mkdirSync(join(root, dirname(command)), { recursive: true });
      writeFileSync(join(root, command), "#!/bin/sh\nexit 0\n");
      chmodSync(join(root, command), 0o755);
    }
    const verify = spawnSync("systemd-analyze", ["verify", `--root=${root}`, ...UNITS], { encoding: "utf8" });
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
  });

  it("is broken-unit sensitive: the same check refuses a timer with a bad calendar", () => {
    const root = join(work, "root");
    const bad = readFileSync(join(deploy, "systemd/regsweep-gc.timer"), "utf8").replace(
      /OnCalendar=.*/,
      "OnCalendar=every night",
    );
    writeFileSync(join(root, "etc/systemd/system/bad-gc.timer"), bad.replace("Unit=regsweep-gc.service", ""));
    const verify = spawnSync("systemd-analyze", ["verify", `--root=${root}`, "bad-gc.timer"], {
      encoding: "utf8",
    });
    expect(verify.stderr).toMatch(/calendar/i);
  });

  it("runs the command the README documents, and the CLI takes it (run here as a dry run on a tree)", async () => {
    expect(execStart.startsWith(`${BIN} gc `)).toBe(true);
    expect(scheduleSection).toContain(`\`regsweep ${systemdArgs.join(" ")}\``);
    const config = join(work, "config.yml");
    writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${tree}\n`);
    const args = systemdArgs.map((a) => (a === "/etc/docker/registry/config.yml" ? config : a));
    expect(args).toContain(config);
    const run = await runProgram([...args, "--dry-run"]);
    expect(run.code).toBe(0);
    expect(stripVTControlCharacters(run.out)).toMatch(/regsweep would delete \d+ tags?, \d+ manifests?/);
  });
});

describe("deploy/kubernetes", () => {
  it("is a CronJob whose image and command the README documents", () => {
    expect(cronJob).toMatchObject({ apiVersion: "batch/v1", kind: "CronJob" });
    expect(cronJob.spec.schedule.split(" ")).toHaveLength(5);
    expect(cronJob.spec.concurrencyPolicy).toBe("Forbid");
    expect(scheduleSection).toContain(`scripts/build-cli-image.sh ${container.image}`);
    expect(scheduleSection).toContain(`\`regsweep ${container.args.join(" ")}\``);
    // The registry config the command names is in a volume the pod mounts.
    const config: string = container.args[container.args.indexOf("--config") + 1];
    const mounts = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).toContain(dirname(config));
    expect(mounts).toContain("/var/lib/registry");
  });

  it("runs a command the CLI takes (here as a dry run on a tree, through a config naming it)", async () => {
    const config: string = container.args[container.args.indexOf("--config") + 1];
    const local = join(work, "k8s-config.yml");
    writeFileSync(local, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${tree}\n`);
    const args = (container.args as string[]).map((a) => (a === config ? local : a));
    expect(args).toContain(local);
    const run = await runProgram([...args, "--dry-run"]);
    expect(run.code).toBe(0);
    expect(stripVTControlCharacters(run.out)).toMatch(/regsweep would delete \d+ tags?, \d+ manifests?/);
  });
});
