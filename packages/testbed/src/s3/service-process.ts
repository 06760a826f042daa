import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, createWriteStream, writeFileSync } from "node:fs";
import { trackProcess } from "../process-ledger.js";
import { cacheDir } from "../repo-root.js";

// Services a test forgot to stop must not outlive the run: the last resort on a normal exit.
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A long-running helper process (an S3 server's part), its output going to a log file. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone (idempotent). */
  stop(graceMs?: number): Promise<void>;
}

/** Where a service runs and what it may see. */
export interface ServiceSpawnOptions {
  logFile: string;
  /** Appended with `<pid> <name>`: what scripts/teardown.sh reads to stop servers a crashed run left. */
  pidsFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts one service process in the foreground (no daemonising, so its pid is the real one and it dies
 * with a kill) and records it, so whatever is still running at exit is killed.
 */
export function spawnService(
  name: string,
  command: string,
  args: readonly string[],
  options: ServiceSpawnOptions,
): ServiceProcess {
  const log = createWriteStream(options.logFile, { flags: "a" });
  // Recorded in the run's ledger when a test file starts it (a global setup owns and stops its own).
  const child = trackProcess(
    spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    }),
    { kind: name },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  running.add(child);
  if (child.pid !== undefined) appendFileSync(options.pidsFile, `${child.pid} ${name}\n`);
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const gone = new Promise<void>((resolve) => {
    child.once("close", () => {
      running.delete(child);
      log.end();
      resolve();
    });
  });
  const isExited = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    get pid() {
      return child.pid ?? -1;
    },
    exited: isExited,
    async stop(graceMs = 5_000) {
      if (child.pid === undefined) return;
      if (!isExited()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await gone;
        clearTimeout(timer);
      } else {
        await gone;
      }
    },
  };
}

/** Stops services in the reverse order of their start (a server before what it depends on). */
export async function stopAll(services: readonly ServiceProcess[]): Promise<void> {
  for (const service of [...services].reverse()) await service.stop();
}

/** Polls `check` every `everyMs` until it is true; throws `fail()`'s error at the deadline or when `dead()`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; everyMs?: number; dead?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const died = options.dead?.();
    if (died) throw new Error(`${what}: ${died}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${options.timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 100));
  }
}

/**
 * Marks a server's run folder as this checkout's (scripts/teardown.sh stops only servers whose `owner`
 * is its own cache folder: other checkouts on the machine may be running tests).
 */
export function claimRunDir(runDir: string): string {
  writeFileSync(`${runDir}/owner`, `${cacheDir()}\n`);
  return `${runDir}/pids`;
}
