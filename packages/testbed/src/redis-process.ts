import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { trackProcess } from "./process-ledger.js";

/** A real redis-server (Debian's) on a free 127.0.0.1 port, with no persistence; disposed with `await using`. */
export interface StartedRedis extends AsyncDisposable {
  readonly port: number;
  /** `127.0.0.1:PORT`, as a registry config's `redis.addr` takes it. */
  readonly addr: string;
  readonly pid: number;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `redis-server` (scripts/setup.sh installs it) and waits until it accepts connections. */
export async function startRedisServer(): Promise<StartedRedis> {
  const dir = await mkdtemp(join(tmpdir(), "regsweep-redis-"));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // Recorded so that a redis a test forgot to stop is stopped (and named) by the run's teardown.
    const child = trackProcess(
      spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
        { stdio: ["ignore", "pipe", "pipe"] },
      ),
      { kind: "redis" },
    );
    let output = "";
    const collect = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    const deadline = Date.now() + 10_000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      const failed = await Promise.race([spawnError, new Promise((r) => setTimeout(r, 30, undefined))]);
      if (failed instanceof Error)
        throw new Error(`cannot start redis-server (run scripts/setup.sh): ${failed.message}`);
      if (await canConnect(port)) {
        ready = true;
        break;
      }
    }
    if (!ready) {
      await terminate(child);
      if (attempt < 3 && /Address already in use/i.test(output)) continue;
      await rm(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not listen on 127.0.0.1:${port}:\n${output}`);
    }
    const started: StartedRedis = {
      port,
      addr: `127.0.0.1:${port}`,
      pid: child.pid as number,
      log: () => output,
      async stop() {
        await terminate(child);
        await rm(dir, { recursive: true, force: true });
      },
      [Symbol.asyncDispose]: () => started.stop(),
    };
    return started;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
