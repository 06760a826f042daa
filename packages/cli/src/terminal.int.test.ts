import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultTestVersion,
  image,
  layer,
  pushManifest,
  repoRoot,
  startRegistryProcess,
  tags,
} from "@regsweep/testbed";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeTree } from "../../cleaner/bench/make-tree.mjs";
import { runRegsweep } from "./test-support/run-regsweep.js";

// A real terminal: tmux gives the CLI a pty, so it sees a TTY on stdin and stderr, as at 3 a.m.
const BIN = join(repoRoot(), "packages/cli/dist/main.js");
const sessions: string[] = [];
const dirs: string[] = [];
afterEach(async () => {
  // A session whose command ended (its `sleep` too, on a slow machine) is gone already.
  for (const s of sessions.splice(0)) spawnSync("tmux", ["kill-session", "-t", s], { stdio: "ignore" });
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function tmux(...args: string[]): string {
  return execFileSync("tmux", args, { encoding: "utf8" });
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it("on a terminal, delete shows the plan, asks before applying, draws progress on stderr, and applies on 'y'", async () => {
  await using registry = await startRegistryProcess({ version: defaultTestVersion() });
  const base = layer("base");
  // Enough tags that the walk and the apply draw their progress bars.
  for (let i = 0; i < 40; i++)
    await pushManifest(registry, "app", image({ layers: [base, layer(`build ${i}`)] }), `v${i}`);
  await registry.stop();
  const work = await mkdtemp(join(tmpdir(), "regsweep-tty-"));
  dirs.push(work, registry.storageRoot);
  const log = join(work, "tty.log");
  appendFileSync(log, "");
  const session = `regsweep-${process.pid}-${Date.now()}`;
  sessions.push(session);
  const command = `NO_COLOR=1 ${process.execPath} ${BIN} delete --storage ${registry.storageRoot} app --grace 0; echo EXIT=$?; sleep 60`;
  tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", command);
  tmux("pipe-pane", "-o", "-t", session, `cat >> ${log}`);
  const screen = () => tmux("capture-pane", "-p", "-t", session);
  await waitFor(() => screen().includes("Apply this plan? [y/N]"), "the confirmation prompt");
  expect(screen()).toMatch(/will delete 40 tags, 40 manifests/);
  tmux("send-keys", "-t", session, "y", "Enter");
  await waitFor(() => /EXIT=\d+/.test(screen()), "the command to finish");
  expect(screen()).toContain("EXIT=0");
  expect(screen()).toMatch(/done: \d+ actions/);
  // The bar itself is cleared when done; the raw terminal stream shows it was drawn.
  const raw = readFileSync(log, "utf8");
  expect(raw).toMatch(/reading storage: /);
  expect(raw).toMatch(/deleting \[[=-]+\] \d+\/\d+/);
  await registry.restart();
  expect(await tags(registry.url, "app")).toEqual([]);
});

it("on a terminal, answering no deletes nothing", async () => {
  await using registry = await startRegistryProcess({ version: defaultTestVersion() });
  await pushManifest(registry, "app", image({ layers: [layer("x")] }), "v1");
  await registry.stop();
  dirs.push(registry.storageRoot);
  const session = `regsweep-no-${process.pid}-${Date.now()}`;
  sessions.push(session);
  tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    "160",
    "-y",
    "50",
    `NO_COLOR=1 ${process.execPath} ${BIN} delete --storage ${registry.storageRoot} app:v1; echo EXIT=$?; sleep 60`,
  );
  const screen = () => tmux("capture-pane", "-p", "-t", session);
  await waitFor(() => screen().includes("Apply this plan? [y/N]"), "the confirmation prompt");
  tmux("send-keys", "-t", session, "n", "Enter");
  await waitFor(() => /EXIT=\d+/.test(screen()), "the command to finish");
  expect(screen()).toContain("nothing deleted");
  expect(screen()).toContain("EXIT=0");
  await registry.restart();
  expect(await tags(registry.url, "app")).toEqual(["v1"]);
});

/** Runs `command` in a fresh tmux terminal; its screen now, and everything it ever drew (the raw stream). */
function terminal(name: string, command: string, log: string) {
  const session = `regsweep-${name}-${process.pid}-${Date.now()}`;
  sessions.push(session);
  appendFileSync(log, "");
  tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", command);
  tmux("pipe-pane", "-o", "-t", session, `cat >> ${log}`);
  return {
    screen: () => tmux("capture-pane", "-p", "-t", session),
    raw: () => readFileSync(log, "utf8"),
  };
}

const PROGRESS = /reading storage: [\d,]+\/[\d,]+ repositories, [\d,]+ files/;

describe("progress lines", { timeout: 300_000 }, () => {
  let work = "";
  let root = "";
  let small = "";
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "regsweep-progress-"));
    root = join(work, "tree");
    // Large enough that reading takes a second or more (one I/O thread): the line is seen while drawn.
    makeTree(root, { manifests: 4000 });
    // Where only the drawing (or its absence) matters, a small tree keeps the test quick.
    small = join(work, "small");
    makeTree(small, { manifests: 300 });
  }, 300_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });
  const run = (args: string) =>
    `NO_COLOR=1 ${process.execPath} ${BIN} ${args} >/dev/null; echo EXIT=$?; sleep 300`;

  it("on a terminal, a long read shows a progress line on stderr, redrawn, and erased when done", async () => {
    const ls = terminal("ls", run(`ls --storage ${root} --io-threads 1`), join(work, "ls.log"));
    await waitFor(() => PROGRESS.test(ls.screen()), "the progress line during the read");
    await waitFor(() => /EXIT=\d+/.test(ls.screen()), "ls to finish", 120_000);
    expect(ls.screen()).toContain("EXIT=0");
    expect(ls.screen()).not.toMatch(/reading storage/);
    // Redrawn as the read went: more than one state of the counters reached the terminal.
    expect(new Set(ls.raw().match(new RegExp(PROGRESS, "g"))).size).toBeGreaterThan(1);
  });

  it("check --verify-digests shows the bytes hashed on a terminal, erased when done", async () => {
    const verify = terminal("verify", run(`check --storage ${small} --verify-digests`), join(work, "v.log"));
    await waitFor(() => /EXIT=\d+/.test(verify.screen()), "check --verify-digests to finish", 120_000);
    expect(verify.screen()).toContain("EXIT=0");
    expect(verify.raw()).toMatch(/verifying digests: [\d,]+\/[\d,]+ blobs, [\d.]+ [kMG]?B hashed/);
    expect(verify.screen()).not.toMatch(/verifying digests/);
  });

  it("nothing of it with --quiet on a terminal, and not one byte of it into a pipe", async () => {
    const quiet = terminal("quiet", run(`ls --storage ${small} --quiet`), join(work, "quiet.log"));
    await waitFor(() => /EXIT=\d+/.test(quiet.screen()), "ls --quiet to finish", 120_000);
    expect(quiet.screen()).toContain("EXIT=0");
    expect(quiet.raw()).not.toMatch(/reading storage/);
    // stderr a pipe: no text, no carriage return, no escape sequence.
    const piped = await runRegsweep(["ls", "--storage", small]);
    expect(piped.code).toBe(0);
    expect(piped.stdout.split("\n")[0]).toMatch(/^REPOSITORY +TAG +DIGEST +SIZE +PUSHED$/);
    expect(piped.stderr).toBe("");
    const checked = await runRegsweep(["check", "--storage", small, "--verify-digests"]);
    expect(checked.code).toBe(0);
    expect(checked.stderr).toBe("");
  });
});
