import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";

/** True when something accepts a TCP connection on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** How to wait for a server process to listen. */
export interface ListenWait {
  /** Its name in messages (`registry`, `redis-server`). */
  what: string;
  timeoutMs: number;
  /** What it printed so far, for the message when it does not come up. */
  log: () => string;
  /** Added to the message when it cannot be started at all (e.g. "run scripts/setup.sh"). */
  hint?: string;
}

/**
 * Waits until a process just spawned accepts connections on 127.0.0.1:`port`; throws, with its output, when
 * it cannot be started, exits first or does not listen in time (the caller stops it and may retry on a port
 * taken meanwhile). Call it right after spawning, before anything awaits: it listens for the spawn error.
 */
export async function waitUntilListening(child: ChildProcess, port: number, wait: ListenWait): Promise<void> {
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const deadline = Date.now() + wait.timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError)
      throw new Error(
        `cannot start ${wait.what}${wait.hint ? ` (${wait.hint})` : ""}: ${spawnError.message}`,
      );
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${wait.what} exited (${child.exitCode ?? child.signalCode}) before listening:\n${wait.log()}`,
      );
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${wait.what} did not listen on 127.0.0.1:${port} within ${wait.timeoutMs / 1000} s:\n${wait.log()}`,
  );
}

/** Ends a process: SIGTERM, SIGKILL after 5 s; resolves once it has exited (at once if it never started). */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
