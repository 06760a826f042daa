import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { type Plan, planJsonChunks } from "@regsweep/cleaner";
import { type CliIo, writeLines } from "./cli-io.js";

/** A plan's pretty JSON as lines, a piece of whole lines at a time (a large plan is never one string). */
function* planJsonLines(plan: Plan): Generator<string> {
  for (const piece of planJsonChunks(plan, { pretty: true })) yield piece.slice(0, -1);
}

/** Saves a plan for `regsweep apply`, written as fast as the disk takes it. */
export async function savePlan(file: string, plan: Plan): Promise<void> {
  const out = createWriteStream(file);
  await writeLines(out, planJsonLines(plan));
  out.end();
  await finished(out);
}

/** Prints a plan as JSON (`--json`), as fast as the reader takes it. */
export function printPlanJson(io: CliIo, plan: Plan): Promise<void> {
  return io.outLines(planJsonLines(plan));
}
