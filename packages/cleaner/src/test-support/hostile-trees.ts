import { createHash } from "node:crypto";
import { cp, lstat, mkdir, readdir, readFile, readlink, rename, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { image, layer, type PushTarget, pushManifest } from "@regsweep/testbed";
import type { Digest } from "../model/digest.js";
import { BLOBS_ROOT, pathFor, REPOSITORIES_ROOT } from "../storage/storage-paths.js";
import type { TreeSpec } from "./storage-tree.js";

// Storage trees that real disks collect (issue #18): one base tree, and the ways it gets spoiled.

const base = layer("hostile base rootfs");
const shared = layer("hostile shared runtime");
/** The images of the base tree; fixed salts, so every tree built from them has the same digests. */
export const hostileImages = {
  a: image({ layers: [base, shared, layer("app a")], salt: "a", created: "2024-01-01T00:00:00Z" }),
  b1: image({ layers: [base, layer("app b1")], salt: "b1", created: "2024-01-01T00:00:00Z" }),
  b2: image({ layers: [base, layer("app b2")], salt: "b2", created: "2024-01-01T00:00:00Z" }),
  untagged: image({ layers: [base, layer("app untagged")], salt: "u", created: "2024-01-01T00:00:00Z" }),
  lib: image({ layers: [base, shared, layer("lib")], salt: "l", created: "2024-01-01T00:00:00Z" }),
  keep: image({ layers: [layer("keep own")], salt: "k", created: "2024-01-01T00:00:00Z" }),
};
const I = hostileImages;

/**
 * The base tree: `app` (v1, v2 re-pushed over b1, one manifest pushed by digest), `lib`, `other` (app's v1
 * image again, shared across repositories) and `keep`. A clean gc -m deletes b1 and the untagged manifest.
 */
export const hostileBaseSpec: TreeSpec = {
  repositories: {
    app: { tags: { v1: I.a, v2: { current: I.b2, history: [I.b1] } }, untagged: [I.untagged] },
    lib: { tags: { latest: I.lib } },
    other: { tags: { v1: I.a } },
    keep: { tags: { t: I.keep } },
  },
};

/** Pushes the base tree to a real registry, in the order a user would. */
export async function pushHostileBase(target: PushTarget): Promise<void> {
  await pushManifest(target, "app", I.a, "v1");
  await pushManifest(target, "app", I.b1, "v2");
  await pushManifest(target, "app", I.b2, "v2");
  await pushManifest(target, "app", I.untagged);
  await pushManifest(target, "lib", I.lib, "latest");
  await pushManifest(target, "other", I.a, "v1");
  await pushManifest(target, "keep", I.keep, "t");
}

const R = REPOSITORIES_ROOT;
const hexOf = (m: { digest: string }) => m.digest.slice("sha256:".length);
const blobDir = (digest: string) => dirname(pathFor({ kind: "blob-data", digest: digest as Digest }));

/** What a spoiler did: the root-relative entries it added or changed (they, and what is below them, are not compared). */
export interface Spoiled {
  hostile: string[];
  /** Hostile entries a deletion of every repository takes with the folders it removes. */
  goneAfterDelete?: string[];
  /** Hostile entries gc -m takes with the folders it removes (a `link.orig` beside a deleted link). */
  goneAfterGc?: string[];
  /** The error code the run must stop with before changing anything (a precondition that names the entry). */
  precondition?: string;
}

/** One way a real disk spoils a storage tree. */
export interface HostileCase {
  name: string;
  /** Spoils the tree at `root`; `outside` is a folder outside the root that symbolic links may point into. */
  spoil(root: string, outside: string): Promise<Spoiled>;
}

async function put(root: string, rel: string, content: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), content);
}

/** The hostile cases of issue #18. */
export const hostileCases: HostileCase[] = [
  {
    name: "a .DS_Store in a tags folder",
    async spoil(root) {
      const path = `${R}/app/_manifests/tags/.DS_Store`;
      await put(root, path, "\0\0\0\x01Bud1");
      return { hostile: [path], goneAfterDelete: [path] };
    },
  },
  {
    name: "a .DS_Store inside tag folders, their index and a repository folder",
    async spoil(root) {
      const paths = [
        `${R}/app/_manifests/tags/v2/.DS_Store`,
        `${R}/app/_manifests/tags/v2/index/sha256/.DS_Store`,
        `${R}/app/_manifests/tags/v2/current/.DS_Store`,
        `${R}/lib/.DS_Store`,
        `${R}/lib/_manifests/.DS_Store`,
      ];
      for (const p of paths) await put(root, p, "\0\0\0\x01Bud1");
      return { hostile: paths, goneAfterDelete: paths };
    },
  },
  {
    name: "extra files beside links and blob data",
    async spoil(root, outside) {
      // The untagged manifest's own layer goes with gc -m; the base layer stays (until everything goes).
      const own = I.untagged.blobs[2]?.digest as Digest;
      const base = I.a.blobs[1]?.digest as Digest;
      const gone = [
        `${dirname(pathFor({ kind: "layer-link", repository: "app", digest: own }))}/link.orig`,
        `${blobDir(own)}/data.tmp`,
        `${dirname(pathFor({ kind: "revision-link", repository: "app", digest: I.untagged.digest as Digest }))}/link.orig`,
        `${dirname(pathFor({ kind: "tag-index-link", repository: "app", tag: "v2", digest: I.b1.digest as Digest }))}/.data.Xy12ab`,
      ];
      const kept = [
        `${dirname(pathFor({ kind: "layer-link", repository: "app", digest: base }))}/link.orig`,
        `${blobDir(base)}/data.tmp`,
      ];
      for (const p of [...gone, ...kept]) await put(root, p, "left by hand or by rsync");
      const lib = dirname(
        pathFor({ kind: "layer-link", repository: "lib", digest: I.lib.blobs[3]?.digest as Digest }),
      );
      await writeFile(join(outside, "target"), "outside");
      await symlink(join(outside, "target"), join(root, lib, "link.bak"));
      return {
        hostile: [...gone, ...kept, `${lib}/link.bak`],
        goneAfterGc: gone,
        goneAfterDelete: [...gone, ...kept, `${lib}/link.bak`],
      };
    },
  },
  {
    name: "a link folder that holds only a stray",
    async spoil(root) {
      const path = `${R}/app/_layers/sha256/${"c0".repeat(32)}/link.orig`;
      await put(root, path, I.a.digest);
      return { hostile: [path], goneAfterDelete: [path] };
    },
  },
  {
    name: "a lost+found and a .Trash folder next to the repositories",
    async spoil(root) {
      await put(root, `${R}/lost+found/#12345`, "an orphaned inode");
      await mkdir(join(root, `${R}/.Trash-1000`), { recursive: true });
      await mkdir(join(root, `${BLOBS_ROOT}/lost+found`), { recursive: true });
      return { hostile: [`${R}/lost+found`, `${R}/.Trash-1000`, `${BLOBS_ROOT}/lost+found`] };
    },
  },
  {
    name: "odd folders under _manifests/revisions",
    async spoil(root) {
      const paths = [
        `${R}/app/_manifests/revisions/sha256/not-a-digest`,
        `${R}/app/_manifests/revisions/backup`,
        `${R}/app/_manifests/revisions/sha256/.DS_Store`,
      ];
      await put(root, `${paths[0]}/link`, I.untagged.digest);
      await put(root, `${paths[1]}/${hexOf(I.b1)}/link`, I.b1.digest);
      await put(root, paths[2] as string, "junk");
      // The .DS_Store stays too: its folder holds the odd one, so it is never removed.
      return { hostile: paths };
    },
  },
  {
    name: "a tag folder that is a symbolic link into another repository",
    async spoil(root) {
      const path = `${R}/app/_manifests/tags/lib-latest`;
      await symlink("../../../lib/_manifests/tags/latest", join(root, path));
      return { hostile: [path], goneAfterDelete: [path] };
    },
  },
  {
    name: "a tag link whose content is not a digest",
    async spoil(root) {
      const path = pathFor({ kind: "tag-current-link", repository: "lib", tag: "latest" });
      await writeFile(join(root, path), "this is not a digest\n");
      return { hostile: [path], goneAfterDelete: [path] };
    },
  },
  {
    name: "a repository that is a symbolic link to outside the root",
    async spoil(root, outside) {
      await cp(join(root, `${R}/app`), join(outside, "ext"), { recursive: true });
      const path = `${R}/ext`;
      await symlink(join(outside, "ext"), join(root, path));
      return { hostile: [path] };
    },
  },
  {
    name: "a blob folder that is a symbolic link to outside the root",
    async spoil(root, outside) {
      // The untagged manifest's own layer: a clean gc -m deletes it.
      const own = I.untagged.blobs[2]?.digest as string;
      const path = blobDir(own);
      await rename(join(root, path), join(outside, "blob"));
      await symlink(join(outside, "blob"), join(root, path));
      return { hostile: [path] };
    },
  },
  {
    name: "blobs/ itself a symbolic link",
    async spoil(root, outside) {
      await rename(join(root, BLOBS_ROOT), join(outside, "blobs"));
      await symlink(join(outside, "blobs"), join(root, BLOBS_ROOT));
      return { hostile: [BLOBS_ROOT], precondition: "storage.symlink" };
    },
  },
  {
    name: "a corrupt manifest behind a tag",
    async spoil(root) {
      const path = pathFor({ kind: "blob-data", digest: I.keep.digest as Digest });
      await writeFile(join(root, path), '{"schemaVersion": 2, "layers": [');
      return { hostile: [path], goneAfterDelete: [path] };
    },
  },
  {
    name: "a traversal digest in links",
    async spoil(root) {
      const tag = pathFor({ kind: "tag-current-link", repository: "app", tag: "v1" });
      const layerLink = pathFor({
        kind: "layer-link",
        repository: "app",
        digest: I.a.blobs[2]?.digest as Digest,
      });
      await writeFile(join(root, tag), "sha256:../../../../../../../../etc");
      await writeFile(join(root, layerLink), "sha256/../../../../../../blobs");
      return { hostile: [tag, layerLink], goneAfterDelete: [tag, layerLink] };
    },
  },
];

/**
 * Every entry under a folder (root-relative) with what it is: a file's content hash (no mtime: two trees
 * built apart are compared), a symbolic link's target, `dir`, or `special file` (a FIFO is never opened).
 * Symbolic links are never followed.
 */
export async function treeShape(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir).catch(() => [])).sort()) {
      const path = join(dir, name);
      const rel = path.slice(root.length + 1);
      const info = await lstat(path);
      if (info.isSymbolicLink()) out.set(rel, `-> ${await readlink(path)}`);
      else if (info.isDirectory()) {
        out.set(rel, "dir");
        await walk(path);
      } else if (!info.isFile()) out.set(rel, "special file");
      else
        out.set(
          rel,
          createHash("sha256")
            .update(await readFile(path))
            .digest("hex"),
        );
    }
  }
  await walk(root);
  return out;
}

/** `shape` without the hostile entries, what is below them and the folders holding them. */
export function withoutHostile(shape: Map<string, string>, hostile: string[]): Record<string, string> {
  const holders = new Set<string>();
  for (const h of hostile) for (let d = dirname(h); d !== "." && d !== "/"; d = dirname(d)) holders.add(d);
  const out: Record<string, string> = {};
  for (const [path, what] of shape) {
    if (hostile.some((h) => path === h || path.startsWith(`${h}/`))) continue;
    if (what === "dir" && holders.has(path)) continue;
    out[path] = what;
  }
  return out;
}

/**
 * A signature link below a revision folder without its own link (what an API delete of a schema1 manifest
 * leaves on 2.x), naming a blob nothing else needs: gc plans to delete the blob, apply keeps it (a link names
 * it), and every re-run would do the same until the operator removes `folder`.
 */
export async function addUnreadSignatureLink(root: string): Promise<{ folder: string; blob: Digest }> {
  const signature = layer("hostile orphaned schema1 signature");
  const blob = signature.digest as Digest;
  const data = pathFor({ kind: "blob-data", digest: blob });
  await mkdir(dirname(join(root, data)), { recursive: true });
  await writeFile(join(root, data), signature.bytes);
  const folder = `${R}/app/_manifests/revisions/sha256/${"5".repeat(64)}`;
  await put(root, `${folder}/signatures/sha256/${hexOf(signature)}/link`, blob);
  return { folder, blob };
}
