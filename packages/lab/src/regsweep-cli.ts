import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot, trackProcess } from "@regsweep/testbed";
import type { RegsweepResult } from "./scenario.js";

/** The built CLI entry point (`pnpm build` makes it). */
export function regsweepBinary(): string {
  return join(repoRoot(), "packages", "cli", "dist", "main.js");
}

/**
 * Spawns `node packages/cli/dist/main.js ...args` and collects its output and exit code; `signal` kills it
 * (SIGTERM) and rejects. `env` is added to this process's environment (a test hook).
 */
export function runRegsweep(
  args: readonly string[],
  signal?: AbortSignal,
  env: Readonly<Record<string, string>> = {},
): Promise<RegsweepResult> {
  return new Promise((resolve, reject) => {
    const child = trackProcess(
      spawn(process.execPath, [regsweepBinary(), ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1", ...env },
        ...(signal ? { signal } : {}),
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
    child.once("error", reject);
    child.once("close", (code, killedBy) =>
      resolve({
        code: code ?? (killedBy ? 128 : 1),
        stdout,
        stderr,
        ...(killedBy ? { signal: killedBy } : {}),
      }),
    );
  });
}

/**
 * Starts the built CLI without waiting (a scenario that kills it mid-way); output is discarded, `signal`
 * kills it.
 */
export function spawnRegsweep(args: readonly string[], signal?: AbortSignal): ChildProcess {
  const child = trackProcess(
    spawn(process.execPath, [regsweepBinary(), ...args], {
      stdio: "ignore",
      env: { ...process.env, NO_COLOR: "1" },
      ...(signal ? { signal } : {}),
    }),
    { kind: "regsweep-cli" },
  );
  // An abort surfaces as an 'error' event; the scenario is being torn down, nothing to report.
  child.on("error", () => {});
  return child;
}
