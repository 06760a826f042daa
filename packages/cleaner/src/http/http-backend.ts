import type {
  BackendApplyOptions,
  BackendCapabilities,
  RegistryBackend,
} from "../backend/registry-backend.js";
import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { Plan } from "../model/plan.js";
import type { PendingJournal } from "../storage/journal.js";
import { applyOnlinePlan, type OnlineApplyReport } from "./apply-online-plan.js";
import type { PlaceholderHooks } from "./delete-tag-by-placeholder.js";
import { RegistryAuthError } from "./http-errors.js";
import { planTagMethods } from "./plan-tag-methods.js";
import { probeRegistry } from "./probe-registry.js";
import { readRegistryCreatedTimes } from "./read-registry-created-times.js";
import { type RegistryReadProgress, readRegistryInventory } from "./read-registry-inventory.js";
import type { RegistryClient } from "./registry-client.js";

/** Options of the HTTP backend: how far its deletions may go. */
export interface HttpBackendOptions {
  /** On 2.x, delete a tag by its digest even when kept tags share that digest (they are untagged too). */
  cascadeTags?: boolean;
  /** Also DELETE the blobs of `layer-link` actions (unlinks them; a garbage collection frees the bytes). */
  deleteLayers?: boolean;
  /** Hooks around the placeholder method's steps (tests stop the process between the PUT and the DELETE). */
  placeholder?: PlaceholderHooks;
}

/**
 * The Registry HTTP API v2 as a backend, through one client (its auth, retries and connections; closed with
 * the backend). No lock and no journal (a re-run plans afresh from what the registry shows), no blob data
 * deleted (that takes a garbage collection), and no folders to see or prune.
 */
export class HttpBackend implements RegistryBackend<RegistryReadProgress, OnlineApplyReport> {
  readonly kind = "http" as const;
  readonly capabilities: BackendCapabilities = {
    lock: false,
    journal: false,
    deletesBlobs: false,
    folderPrunes: false,
    live: false,
    listsUntagged: false,
  };

  constructor(
    readonly client: RegistryClient,
    private readonly options: HttpBackendOptions = {},
  ) {}

  get location(): string {
    return this.client.base.toString().replace(/\/$/, "");
  }

  /** The whole registry, always: whether a blob is still used depends on every repository. */
  readInventory(
    options: { onProgress?: (progress: Readonly<RegistryReadProgress>) => void } = {},
  ): Promise<Inventory> {
    return readRegistryInventory(this.client, options.onProgress ? { onProgress: options.onProgress } : {});
  }

  /** Tagged manifests only: the API never lists untagged ones. */
  readCreatedTimes(inventory: Inventory): Promise<Map<Digest, number>> {
    return readRegistryCreatedTimes(this.client, inventory);
  }

  /**
   * Probes the registry (harmless requests for things that do not exist) and names on every tag action how
   * the API will delete it, so the printed plan is what apply does. A user without delete rights still gets
   * a plan (`warn` says why it has no methods): apply then chooses them itself.
   */
  async completePlan(plan: Plan, warn: (message: string) => void): Promise<Plan> {
    try {
      const repository = plan.actions.find((a) => a.type === "tag" || a.type === "revision") as
        | { repository: string }
        | undefined;
      if (!repository) return plan;
      const caps = await probeRegistry(this.client, repository.repository);
      return planTagMethods(plan, caps, { cascadeTags: Boolean(this.options.cascadeTags) });
    } catch (error) {
      if (!(error instanceof RegistryAuthError)) throw error;
      warn(`could not probe what the registry can delete: ${error.message}`);
      return plan;
    } finally {
      // A person may take a while to confirm: apply starts on fresh connections.
      this.client.close();
    }
  }

  apply(plan: Plan, options: BackendApplyOptions = {}): Promise<OnlineApplyReport> {
    const { live: _live, ...rest } = options;
    return applyOnlinePlan(this.client, plan, {
      ...rest,
      ...(this.options.cascadeTags ? { force: true } : {}),
      ...(this.options.deleteLayers ? { deleteLayers: true } : {}),
      ...(this.options.placeholder ? { placeholder: this.options.placeholder } : {}),
    });
  }

  async lock(): Promise<undefined> {
    return undefined;
  }

  async clearStaleState(): Promise<void> {}

  async pending(): Promise<PendingJournal | undefined> {
    return undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.client.close();
  }
}
