import { execFileSync } from "node:child_process";
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
import { afterEach, expect, it } from "vitest";

// A real terminal: tmux gives the CLI a pty, so it sees a TTY on stdin and stderr, as at 3 a.m.
const BIN = join(repoRoot(), "packages/cli/dist/main.js");
const sessions: string[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) execFileSync("tmux", ["kill-session", "-t", s], { stdio: "ignore" });
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
  expect(raw).toMatch(/reading \[[=-]+\] \d+\/\d+/);
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
