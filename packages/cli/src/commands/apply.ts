import {
  InvalidRequestError,
  type Plan,
  PlanBackendError,
  PlanFileError,
  readPlanFile,
  StalePlanError,
} from "@regsweep/cleaner";
import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { openBackend, openBackendForPlan } from "../flow/open-backend.js";
import { type DestructiveOptions, presentAndApply, resumePending } from "../flow/plan-flow.js";
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
    // Where the plan was made, unless told: a registry, a folder, or s3://bucket/prefix (with the --s3-* flags).
    await using backend = await openBackendForPlan(plan, options, io);
    // Before anything is printed or asked: the backend's apply would refuse it too.
    if (backend.kind !== plan.backend) throw new PlanBackendError(plan.backend, backend.kind);
    const code = await presentAndApply(backend, plan, { ...options, out: undefined }, io);
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
    await using backend = await openBackend(options, io);
    setExit(await resumePending(backend, options, io));
  });
}
