import { createInterface } from "node:readline/promises";

/** Everything a command touches of the outside world, so tests can run the program in-process. */
export interface CliIo {
  out(text: string): void;
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

/** The real terminal. */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    // Once the reader of stdout is gone (EPIPE, see main), writing there would only raise again.
    out: (text) => {
      if (!process.stdout.destroyed) process.stdout.write(`${text}\n`);
    },
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
