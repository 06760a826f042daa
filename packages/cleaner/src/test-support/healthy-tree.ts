import { image, index, layer } from "@regsweep/testbed";
import type { Digest } from "../model/digest.js";
import type { TreeSpec } from "./storage-tree.js";

/** The images of `healthy`: a single-platform image on `base` + `app`, and a multi-arch index of two. */
export const base = layer("busybox rootfs");
export const app = layer("app layer");
export const img = image({ layers: [base, app], salt: "img" });
export const amd = image({
  layers: [base, layer("amd64")],
  platform: { os: "linux", architecture: "amd64" },
  format: "oci",
  salt: "amd",
});
export const arm = image({
  layers: [base, layer("arm64")],
  platform: { os: "linux", architecture: "arm64" },
  format: "oci",
  salt: "arm",
});
export const multi = index([amd, arm]);

/** A test manifest's or blob's digest. */
export const d = (m: { digest: string }) => m.digest as Digest;

/** A healthy tree: one single-platform tag and one multi-arch tag (what check and verify tests break). */
export const healthy: TreeSpec = { repositories: { app: { tags: { latest: img, multi } } } };
