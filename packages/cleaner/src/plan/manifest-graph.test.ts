import { describe, expect, it } from "vitest";
import type { RepositoryInventory, RevisionInfo } from "../model/inventory.js";
import { labelDigest as d, fixtureInventory } from "../retention/inventory-fixture.js";
import {
  imageContents,
  manifestLookup,
  reachableFromTags,
  repositoryGraph,
  revisionBlobs,
  walkReachable,
} from "./manifest-graph.js";

const inventory = fixtureInventory({
  app: {
    tags: [["v1", "index"]],
    indexes: { index: ["amd64", "arm64"] },
    referrers: { sig: "amd64", "sig-of-sig": "sig", orphanSig: "gone" },
    untagged: [["old", 0]],
  },
});
const repo = inventory.repositories[0] as RepositoryInventory;
const manifest = manifestLookup(inventory);
const graph = repositoryGraph(repo, manifest);

describe("manifest graph", () => {
  it("reads no manifest for an unknown digest", () => {
    expect(manifest(d("nowhere"))).toBeUndefined();
    expect(manifest(d("index"))?.children).toEqual([d("amd64"), d("arm64")]);
  });

  it("groups referrers by subject, even a subject the repository lacks", () => {
    expect(graph.referrers.get(d("amd64"))).toEqual([d("sig")]);
    expect(graph.referrers.get(d("sig"))).toEqual([d("sig-of-sig")]);
    expect(graph.referrers.get(d("gone"))).toEqual([d("orphanSig")]);
  });

  it("reaches index children and referrers of referrers from a tag, not untagged manifests", () => {
    const reached = reachableFromTags(repo, graph);
    expect(reached).toEqual(new Set(["index", "amd64", "arm64", "sig", "sig-of-sig"].map(d)));
  });

  it("tells the walker how it got somewhere and stops where the walker says", () => {
    const edges: string[] = [];
    walkReachable(graph, [d("index")], (to, from, edge) => {
      edges.push(`${edge}:${from === d("index") ? "index" : "amd64"}`);
      return to !== d("sig"); // do not go on from sig: sig-of-sig stays unvisited
    });
    expect(edges.sort()).toEqual(["child:index", "child:index", "referrer:amd64"]);
  });

  it("lists an image's contents once each, through index children", () => {
    const contents = imageContents(manifest, d("index"));
    expect(contents).toEqual(
      new Set([d("index"), d("amd64"), d("config of amd64"), d("arm64"), d("config of arm64")]),
    );
  });

  it("names a revision's blobs: manifest, signatures, config and layers", () => {
    const old = repo.revisions.find((r) => r.digest === d("old")) as RevisionInfo;
    expect(revisionBlobs(old, manifest)).toEqual([d("old"), d("config of old")]);
  });
});
