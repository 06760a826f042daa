import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, trackProcess } from "@regsweep/testbed";

/** The built CLI, spawned exactly as an operator runs it. */
export const REGSWEEP_BIN = join(repoRoot(), "packages/cli/dist/main.js");

/** What a run printed and how it exited. */
export interface RegsweepRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built binary (no colours, HOME in a temp dir so no user Docker config leaks in), feeding
 * `stdin`; never throws, whatever the exit code.
 */
export function runRegsweep(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RegsweepRun> {
  return new Promise((resolve) => {
    const child = trackProcess(
      spawn(process.execPath, [REGSWEEP_BIN, ...args], {
        env: { ...process.env, NO_COLOR: "1", HOME: tmpdir(), ...options.env },
      }),
      { kind: "regsweep-cli" },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** A hash of every path, mtime and content under a folder: equal before and after means "nothing changed". */
export async function treeFingerprint(root: string): Promise<string> {
  const hash = createHash("sha256");
  async function walk(dir: string): Promise<void> {
    const entries = (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const e of entries) {
      const path = join(dir, e.name);
      hash.update(path);
      if (e.isDirectory()) await walk(path);
      else hash.update(`${(await stat(path)).mtimeMs}`).update(await readFile(path));
    }
  }
  await walk(root);
  return hash.digest("hex");
}
