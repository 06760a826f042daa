import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { terminate, waitUntilListening } from "./listening-process.js";
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
    try {
      await waitUntilListening(child, port, {
        what: "redis-server",
        timeoutMs: 10_000,
        log: () => output,
        hint: "run scripts/setup.sh",
      });
    } catch (error) {
      await terminate(child);
      if (attempt < 3 && /address already in use/i.test(output)) continue;
      await rm(dir, { recursive: true, force: true });
      throw error;
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
