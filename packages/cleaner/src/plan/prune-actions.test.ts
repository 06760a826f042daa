import { expect, it } from "vitest";
import type { Inventory } from "../model/inventory.js";
import { fixtureInventory } from "../retention/inventory-fixture.js";
import { planDeletion } from "./plan-deletion.js";

const repos = { app: { tags: [["v1", "one"]] as Array<[string, string]> }, other: { tags: [] } };

it("plans folder prunes only from an inventory that reports folders (the HTTP API's reports none)", () => {
  const withFolders = fixtureInventory(repos);
  const { emptyDirs: _, ...noFolders } = withFolders;
  const requests = [{ kind: "delete-repository" as const, repository: "app" }];
  const offline = planDeletion(withFolders, requests, { graceMs: 0, prune: true });
  const online = planDeletion(noFolders as Inventory, requests, { graceMs: 0, prune: true });
  expect(offline.actions.filter((a) => a.type === "prune")).not.toEqual([]);
  expect(online.actions.filter((a) => a.type === "prune")).toEqual([]);
  expect(online.actions).toEqual(offline.actions.filter((a) => a.type !== "prune"));
  expect(online.summary).toEqual(offline.summary);
});
