import { rm } from "node:fs/promises";
import { logTail } from "./log-tail.js";
import type { S3ServerInfo, StartedS3Server } from "./s3-server.js";
import { type ServiceProcess, stopAll } from "./service-process.js";

/** Where a server made of service processes keeps its files. */
export interface S3ServerFolders {
  /** Its private run folder (removed on stop unless kept). */
  runDir: string;
  /** The folder its services log into. */
  logs: string;
}

/** The started-server object of an S3 server whose `services` (started in order) share one run folder. */
export function startedS3Server(
  info: S3ServerInfo,
  folders: S3ServerFolders,
  services: readonly ServiceProcess[],
): StartedS3Server {
  let stopped = false;
  const server: StartedS3Server = {
    ...info,
    runDir: folders.runDir,
    pids: services.map((s) => s.pid),
    logTail: (lines) => logTail(folders.logs, lines),
    async stop(options) {
      if (!stopped) {
        stopped = true;
        await stopAll(services);
      }
      if (!options?.keepRunDir) await rm(folders.runDir, { recursive: true, force: true });
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
    },
  };
  return server;
}

/**
 * After a start that failed: stops the services that did start, removes the run folder, and returns the
 * error to throw, naming the server and ending with the tail of its logs.
 */
export async function failedStart(
  name: string,
  error: unknown,
  folders: S3ServerFolders,
  services: readonly ServiceProcess[],
): Promise<Error> {
  const tail = await logTail(folders.logs, 20).catch(() => "");
  await stopAll(services);
  await rm(folders.runDir, { recursive: true, force: true });
  return new Error(`${name} did not start: ${(error as Error).message.split("\n")[0]}\n${tail}`, {
    cause: error,
  });
}
