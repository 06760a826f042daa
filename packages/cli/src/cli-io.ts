import { createInterface } from "node:readline/promises";
import type { Writable } from "node:stream";

/** Everything a command touches of the outside world, so tests can run the program in-process. */
export interface CliIo {
  out(text: string): void;
  /**
   * Many lines to stdout (a plan's hundreds of thousands), written as the reader takes them: piped to a
   * slower reader, they would otherwise wait in memory (a 50k-manifest dry run piped to `cat` peaked at
   * 363 MB, 249 MB to a file).
   */
  outLines(lines: Iterable<string>): Promise<void>;
  err(text: string): void;
  /** Whether a person can answer questions (stdin and stderr are terminals). */
  interactive: boolean;
  /** Whether stderr is a terminal (progress bars go there only then). */
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Asks a yes/no question; false unless the answer starts with y. */
  confirm(question: string): Promise<boolean>;
  /** Fired on Ctrl-C, so an apply can stop cleanly between actions. */
  signal?: AbortSignal;
}

/** Bytes gathered before one write: few writes, little held. */
const WRITE_BATCH = 64 * 1024;

/** Until `out` has room again, or is gone (whoever read it went away). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}

/** Writes `lines` to `out` in batches, taking the next line only while `out` has room. */
export async function writeLines(out: Writable, lines: Iterable<string>): Promise<void> {
  let batch = "";
  for (const line of lines) {
    batch += `${line}\n`;
    if (batch.length < WRITE_BATCH) continue;
    if (out.destroyed) return;
    if (!out.write(batch)) await drained(out);
    batch = "";
  }
  if (batch && !out.destroyed) out.write(batch);
}

/** The real terminal. */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    // Once the reader of stdout is gone (EPIPE, see main), writing there would only raise again.
    out: (text) => {
      if (!process.stdout.destroyed) process.stdout.write(`${text}\n`);
    },
    outLines: (lines) => writeLines(process.stdout, lines),
    err: (text) => process.stderr.write(`${text}\n`),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
    ...(signal ? { signal } : {}),
  };
}
