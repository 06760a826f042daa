import { RegsweepError } from "../model/errors.js";

/** A retention policy that cannot be used as written; `line` points into the policy file when known. */
export class PolicyError extends RegsweepError {
  constructor(
    message: string,
    readonly line?: number,
    readonly source?: string,
  ) {
    super("policy.invalid", `${source ?? "policy"}${line !== undefined ? `:${line}` : ""}: ${message}`);
  }
}
