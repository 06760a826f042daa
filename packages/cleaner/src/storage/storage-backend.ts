import type {
  BackendApplyOptions,
  BackendCapabilities,
  RegistryBackend,
} from "../backend/registry-backend.js";
import type { ApplyReport } from "../model/apply-report.js";
import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { Plan } from "../model/plan.js";
import { readCreatedTimes } from "../retention/read-created-times.js";
import type { StoreTarget } from "../stores/use-store.js";
import { applyPlan } from "./apply-plan.js";
import { Journal, type PendingJournal } from "./journal.js";
import { readStorageInventory, type StorageReadProgress } from "./read-storage-inventory.js";
import { clearStaleState } from "./stale-state.js";
import { lockStorage } from "./storage-lock.js";

/** Options of a storage backend. */
export interface StorageBackendOptions {
  /** Threads doing file I/O on a root on disk, reading and deleting (default: the engine's for each). */
  ioThreads?: number;
}

/**
 * The storage tree as a backend: a registry's files on a `Store` (a root on disk is opened as the filesystem
 * store by each step, with its own I/O threads; a store given, such as an `S3Store`, is this backend's and
 * closed with it). It locks, journals, deletes blob data and removes folders; live mode only on a disk.
 */
export class StorageBackend implements RegistryBackend<StorageReadProgress, ApplyReport> {
  readonly kind = "storage" as const;
  readonly location: string;
  readonly capabilities: BackendCapabilities;

  constructor(
    readonly target: StoreTarget,
    private readonly options: StorageBackendOptions = {},
  ) {
    this.location = typeof target === "string" ? target : target.location;
    const onDisk = typeof target === "string";
    this.capabilities = {
      lock: true,
      journal: true,
      deletesBlobs: true,
      folderPrunes: true,
      live: onDisk,
      listsUntagged: true,
    };
  }

  /** The root on disk, for what only makes sense there (finding registry processes that serve it). */
  get root(): string | undefined {
    return typeof this.target === "string" ? this.target : undefined;
  }

  private get threads(): { ioThreads?: number } {
    return this.options.ioThreads !== undefined ? { ioThreads: this.options.ioThreads } : {};
  }

  readInventory(
    options: { onProgress?: (progress: Readonly<StorageReadProgress>) => void; signal?: AbortSignal } = {},
  ): Promise<Inventory> {
    return readStorageInventory(this.target, {
      ...this.threads,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  readCreatedTimes(inventory: Inventory, options: { untagged?: boolean } = {}): Promise<Map<Digest, number>> {
    return readCreatedTimes(this.target, inventory, options.untagged ? { untagged: true } : {});
  }

  /** A storage plan is complete as the planner made it. */
  async completePlan(plan: Plan): Promise<Plan> {
    return plan;
  }

  apply(plan: Plan, options: BackendApplyOptions = {}): Promise<ApplyReport> {
    return applyPlan(this.target, plan, { ...this.threads, ...options });
  }

  lock(): Promise<AsyncDisposable> {
    return lockStorage(this.target);
  }

  clearStaleState(): Promise<void> {
    return clearStaleState(this.target);
  }

  pending(): Promise<PendingJournal | undefined> {
    return Journal.pending(this.target);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (typeof this.target !== "string") await this.target.close();
  }
}
