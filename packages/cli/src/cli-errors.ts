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

/** `--live` on object storage: live mode's checks rest on a local filesystem and a registry on this host. */
export class LiveOnObjectStorageError extends RegsweepError {
  constructor(readonly location: string) {
    super(
      "live.unsupported",
      `--live works on a storage tree on disk; ${location} is object storage, where it cannot see pushes in flight`,
    );
  }
}
