import { Command } from "commander";
import type { CliIo } from "./cli-io.js";
import { applyCommands } from "./commands/apply.js";
import { checkCommand } from "./commands/check.js";
import { completionCommand } from "./commands/completion.js";
import { deleteCommand } from "./commands/delete.js";
import { duCommand } from "./commands/du.js";
import { gcCommand } from "./commands/gc.js";
import { lsCommand } from "./commands/ls.js";
import { retainCommand } from "./commands/retain.js";
import { EXIT_CODE_HELP } from "./exit-codes.js";

/** The result of one run: the exit code the commands asked for. */
export interface ProgramState {
  exitCode: number;
}

/**
 * Builds a fresh `regsweep` program writing to the given IO (exit overridden: errors are thrown).
 * Tests make one per case; `main` makes the real one.
 */
export function createProgram(io: CliIo, state: ProgramState = { exitCode: 0 }): Command {
  const program = new Command("regsweep")
    .description(
      "Delete images from self-hosted Docker/OCI registries (distribution 2.x/3.x) and really give the disk back.",
    )
    .version("0.1.0")
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .addHelpText("after", `\n${EXIT_CODE_HELP}`)
    // Before the commands are added, so they inherit it: errors come back as exceptions, never process.exit.
    .exitOverride();
  const setExit = (code: number) => {
    state.exitCode = code;
  };
  lsCommand(program, io, setExit);
  duCommand(program, io, setExit);
  deleteCommand(program, io, setExit);
  gcCommand(program, io, setExit);
  applyCommands(program, io, setExit);
  checkCommand(program, io, setExit);
  retainCommand(program, io, setExit);
  completionCommand(program, io, setExit);
  return program;
}
