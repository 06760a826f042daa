#!/usr/bin/env node
import { limitHeapGrowth } from "@regsweep/cleaner";
import { CommanderError } from "commander";
import pc from "picocolors";
import { processIo } from "./cli-io.js";
import { ExitCode, exitCodeFor, hintFor } from "./exit-codes.js";
import { createProgram, type ProgramState } from "./program.js";

/** Runs the CLI and returns the exit code; errors become one clear message (stack only with -v). */
export async function main(argv: string[]): Promise<number> {
  // This process is one job over a whole tree: keep its heap near what is live (see limitHeapGrowth).
  limitHeapGrowth();
  // The AWS SDK (pinned in the lockfile) prints eight lines on Node 20 about SDK versions published
  // later needing Node 22: nothing an operator can act on, and it lands in the middle of our output.
  // An operator who wants it back sets the variable to anything else.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const controller = new AbortController();
  let interrupts = 0;
  process.on("SIGINT", () => {
    // First Ctrl-C: stop between actions and report; second: leave now (the journal makes it safe).
    if (++interrupts > 1) process.exit(ExitCode.interrupted);
    process.stderr.write("\nstopping after the actions in flight (Ctrl-C again to quit now)\n");
    controller.abort();
  });
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    // Whoever read our output went away (`regsweep ls | head`): nothing more goes there, and a run in
    // progress stops between actions as on a first Ctrl-C, instead of dying mid-batch on a stack trace.
    controller.abort();
  });
  const io = processIo(controller.signal);
  const state: ProgramState = { exitCode: ExitCode.ok };
  const program = createProgram(io, state);
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  try {
    await program.parseAsync(argv, { from: "user" });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const code = exitCodeFor(error);
    io.err(pc.red(`regsweep: ${(error as Error).message ?? String(error)}`));
    const hint = hintFor(error);
    if (hint) io.err(`hint: ${hint}`);
    if (verbose || code === ExitCode.internal) io.err(String((error as Error).stack ?? ""));
    return code;
  }
}

process.exitCode = await main(process.argv.slice(2));
