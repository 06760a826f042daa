import {
  InvalidRequestError,
  type Plan,
  PlanFileError,
  readPlanFile,
  StalePlanError,
} from "@regsweep/cleaner";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { type DestructiveOptions, presentAndApply, resumePending } from "../run-plan.js";
import { openLocation, openStorage, s3LocationFromUrl } from "../storage-target.js";
import { addDestructiveOptions, addStorageOptions } from "./shared-options.js";

/** `regsweep apply <plan.json>` and `regsweep resume`. */
export function applyCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const apply = program
    .command("apply")
    .description("apply a plan saved with --out, re-checking that the tree has not changed under it")
    .argument("<plan>", "the plan file");
  addStorageOptions(apply);
  addDestructiveOptions(apply);
  apply.addHelpText(
    "after",
    "\nExamples:\n  regsweep gc --storage /var/lib/registry -m --out plan.json && regsweep apply plan.json --yes",
  );
  apply.action(async (file: string, options: DestructiveOptions) => {
    let plan: Plan;
    try {
      plan = await readPlanFile(file);
    } catch (error) {
      if (error instanceof PlanFileError) throw new PlanFileError(`${file}: ${error.message}`);
      if (error instanceof Error && "errno" in error)
        throw new InvalidRequestError(`cannot read the plan ${file}: ${(error as Error).message}`);
      throw error;
    }
    // Where the plan was made, unless told: a folder, or s3://bucket/prefix (with the --s3-* flags).
    await using storage =
      options.storage || options.config
        ? await openStorage(options, io.env)
        : plan.source.startsWith("s3://")
          ? openLocation(s3LocationFromUrl(plan.source, options, io.env))
          : await openStorage({ ...options, storage: plan.source }, io.env);
    const code = await presentAndApply(storage, plan, { ...options, out: undefined }, io);
    if (code === ExitCode.partial)
      throw new StalePlanError(
        `the tree changed since ${file} was made; some actions were skipped (plan again)`,
      );
    setExit(code);
  });

  const resume = program
    .command("resume")
    .description("finish an apply that was interrupted (kill -9, Ctrl-C, power loss)");
  addStorageOptions(resume);
  addDestructiveOptions(resume);
  resume.action(async (options: DestructiveOptions) => {
    await using storage = await openStorage(options, io.env);
    setExit(await resumePending(storage, options, io));
  });
}
