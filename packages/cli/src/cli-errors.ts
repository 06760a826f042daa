import { RegsweepError } from "@regsweep/cleaner";
import type { ServingRegistry } from "./registry-serving-probe.js";

/** A registry process is serving the tree an offline deletion is about to change. */
export class RegistryServingError extends RegsweepError {
  constructor(readonly serving: ServingRegistry[]) {
    super(
      "storage.in-use",
      `a registry is serving this storage tree (pid ${serving.map((s) => s.pid).join(", ")}: ${serving[0]?.command ?? ""}); deleting under it races with pushes`,
    );
  }
}
