import type * as Fs from "node:fs";
import type * as Path from "node:path";
import type { MessagePort } from "node:worker_threads";

import type {
  BlobFolderScan,
  LinkTreeScan,
  StoreDeleted,
  StoreDeleteJob,
  StoreEntryKind,
  StoreFailure,
  StoreMissing,
  StoreSmallFile,
  StoreStat,
} from "../store.js";

export type { BlobFolderScan, LinkTreeScan } from "../store.js";

/** What a folder entry or a path is, without following symbolic links. */
export type EntryKind = StoreEntryKind;

/** An operation that failed for a reason other than the path being gone; `code` is the errno name. */
export type IoFailure = StoreFailure;

/** A path that is not there (ENOENT, or ENOTDIR on the way to it). */
export type IoMissing = StoreMissing;

/** Kind, size and mtime of a path. */
export type PathInfo = StoreStat;

/** A small file read whole (links, `startedat`), or only its kind when it is not a regular file. */
export type SmallFile = StoreSmallFile;

/**
 * What to remove for one plan action (see `StoreDeleteJob`). Paths are relative to the run's `base` (the
 * storage root), so a job is two references into the plan, not new strings.
 */
export type RemoveJob = StoreDeleteJob;

/** What one removal removed. */
export type Removed = StoreDeleted;

/** The operations an I/O thread runs, each over a batch of inputs; see `FileIoPool` for their meaning. */
export interface FileOps {
  list: [string, Array<[string, EntryKind]>];
  scanLinkTree: [string, LinkTreeScan];
  scanBlobFolder: [string, BlobFolderScan];
  stat: [string, PathInfo];
  readSmall: [string, SmallFile];
  read: [string, Uint8Array];
  remove: [RemoveJob, Removed];
  removeTree: [string, Removed];
}

export type FileOpName = keyof FileOps;
export type Outcome<T> = T | IoFailure | IoMissing;

/** The message a batch travels in, and the one its results come back in. */
export interface BatchRequest {
  id: number;
  op: FileOpName;
  inputs: unknown[];
  /** Folder that relative paths in `inputs` are relative to. */
  base?: string;
}
export interface BatchResponse {
  id: number;
  results: unknown[];
}

/**
 * The body of an I/O thread: runs batches of plain synchronous file operations. Synchronous calls on a
 * few threads beat promise-per-call `fs/promises` by several times on trees of 100k+ small files (no
 * thread-pool hop, no promise and no closure per call), and the threads still keep several requests in
 * flight for a cold disk.
 *
 * It is started from its source text (see file-io-pool.ts), so it must use nothing from this module's
 * scope: only its parameters.
 */
export function fileIoWorker(fs: typeof Fs, path: typeof Path, port: MessagePort): void {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const kindOf = (s: Fs.Stats | Fs.Dirent): EntryKind =>
    s.isFile() ? "file" : s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : "other";
  const info = (s: Fs.Stats): PathInfo => ({ kind: kindOf(s), size: s.size, mtimeMs: s.mtimeMs });
  const gone = (error: unknown): boolean => {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR";
  };
  /** rmdir that only fails for real problems: gone, not empty or not a folder means "leave it". */
  const removeEmptyDir = (path: string): boolean => {
    try {
      fs.rmdirSync(path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR") return false;
      throw error;
    }
  };
  const small = Buffer.alloc(4096);
  /** A folder's entries; undefined when it is gone (or not a folder by now). */
  const listIfThere = (dir: string): Fs.Dirent[] | undefined => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if (gone(error)) return undefined;
      throw error;
    }
  };
  /**
   * Whether a folder holds exactly one entry, `name`: the link or blob folder of nearly every tree. Names
   * alone cost less than typed entries (no Dirent per entry, a third of the garbage on 400k folders); the
   * caller still checks the entry's kind, and anything else is listed again with types.
   */
  const holdsOnly = (dir: string, name: string): boolean => {
    try {
      const names = fs.readdirSync(dir);
      return names.length === 1 && names[0] === name;
    } catch (error) {
      if (gone(error)) return false;
      throw error;
    }
  };
  /** A small regular file's text and mtime; undefined when it is not there or not a regular file. */
  const readText = (
    file: string,
  ): { text: string; size: number; mtimeMs: number; ino: number } | undefined => {
    // O_NOFOLLOW: a symbolic link is reported, never read through; O_NONBLOCK: a FIFO cannot hang us.
    let fd: number;
    try {
      fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (gone(error) || code === "ELOOP") return undefined;
      throw error;
    }
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) return undefined;
      const buffer = stat.size <= small.length ? small : Buffer.alloc(stat.size);
      const length = fs.readSync(fd, buffer, 0, buffer.length, 0);
      return {
        text: buffer.toString("utf8", 0, length),
        size: stat.size,
        mtimeMs: stat.mtimeMs,
        ino: stat.ino,
      };
    } finally {
      fs.closeSync(fd);
    }
  };

  const ops: { [K in FileOpName]: (input: never) => FileOps[K][1] } = {
    list: (dir: string) =>
      fs.readdirSync(at(dir), { withFileTypes: true }).map((e): [string, EntryKind] => [e.name, kindOf(e)]),
    scanLinkTree: (root: string) => {
      const algorithms: LinkTreeScan["algorithms"] = [];
      const others: NonNullable<LinkTreeScan["others"]> = [];
      for (const alg of fs.readdirSync(at(root), { withFileTypes: true })) {
        if (!alg.isDirectory()) {
          others.push([alg.name, kindOf(alg)]);
          continue;
        }
        const algDir = `${at(root)}/${alg.name}`;
        const found = fs.readdirSync(algDir, { withFileTypes: true });
        const extras: Array<[number, string, EntryKind]> = [];
        const scan: LinkTreeScan["algorithms"][number] = {
          extras,
          name: alg.name,
          entries: found.map((e) => e.name),
          kinds: found.map((e) => kindOf(e)[0]).join(""),
          links: "",
          texts: [] as string[],
          mtimes: new Float64Array(found.length),
          order: new Float64Array(found.length),
        };
        found.forEach((entry, i) => {
          if (!entry.isDirectory()) {
            scan.texts.push("");
            scan.links += "-";
            return;
          }
          // The folder is listed, not only its link opened: whatever else it holds is reported (a
          // `link.orig` must not sit there unseen, and a folder holding one cannot be removed empty).
          const dir = `${algDir}/${entry.name}`;
          let link = holdsOnly(dir, "link") ? readText(`${dir}/link`) : undefined;
          // Not the usual lone regular `link` (or it changed since): list with types, and report the rest.
          const inside = link ? [] : listIfThere(dir);
          for (const e of inside ?? []) {
            if (e.name === "link" && e.isFile()) link = readText(`${dir}/link`);
            else extras.push([i, e.name, kindOf(e)]);
          }
          scan.texts.push(link ? link.text.trim() : "");
          if (link) {
            scan.mtimes[i] = link.mtimeMs;
            scan.order[i] = link.ino;
          }
          scan.links += link ? "L" : inside?.length === 0 ? "E" : "N";
        });
        algorithms.push(scan);
      }
      return { others, algorithms };
    },
    scanBlobFolder: (dir: string) => {
      const found = fs.readdirSync(at(dir), { withFileTypes: true });
      const extras: Array<[number, string, EntryKind]> = [];
      const scan: BlobFolderScan = {
        extras,
        entries: found.map((e) => e.name),
        kinds: found.map((e) => kindOf(e)[0]).join(""),
        data: "",
        sizes: new Float64Array(found.length),
        mtimes: new Float64Array(found.length),
        order: new Float64Array(found.length),
      };
      const prefixDir = at(dir);
      found.forEach((entry, i) => {
        if (!entry.isDirectory()) {
          scan.data += "-";
          return;
        }
        const blobDir = `${prefixDir}/${entry.name}`;
        // The usual lone `data` needs no typed listing (its kind comes from the lstat below).
        const only = holdsOnly(blobDir, "data");
        const inside = only ? [] : listIfThere(blobDir);
        let hasData = only;
        for (const e of inside ?? []) {
          if (e.name === "data") hasData = true;
          else extras.push([i, e.name, kindOf(e)]);
        }
        if (!hasData) {
          scan.data += inside?.length === 0 ? "E" : "N";
          return;
        }
        let data: Fs.Stats;
        try {
          data = fs.lstatSync(`${blobDir}/data`);
        } catch (error) {
          if (!gone(error)) throw error;
          scan.data += "N"; // gone since the listing: a writer is at work here
          return;
        }
        scan.data += data.isFile() ? "F" : data.isSymbolicLink() ? "S" : "O";
        scan.sizes[i] = data.size;
        scan.mtimes[i] = data.mtimeMs;
        scan.order[i] = data.ino;
      });
      return scan;
    },
    stat: (file: string) => info(fs.lstatSync(at(file))),
    readSmall: (file: string) => {
      const read = readText(at(file));
      return read ? { kind: "file", ...read } : info(fs.lstatSync(at(file)));
    },
    // A small file's Buffer is a view into a shared 8 KiB pool, and a message would copy the whole pool:
    // an exact copy goes instead, moved (not copied) to the other thread.
    read: (file: string) => new Uint8Array(fs.readFileSync(at(file))),
    remove: ({ files, upTo, strays }: RemoveJob) => {
      let removedFiles = 0;
      for (const file of files) {
        try {
          // unlink never follows a symbolic link and refuses folders: nothing outside the tree is reachable.
          fs.unlinkSync(at(file));
          removedFiles++;
        } catch (error) {
          if (!gone(error)) throw error;
        }
      }
      const dirs = new Set<string>(files.length === 0 ? [upTo] : []);
      const straysIn = new Map<string, string[]>();
      for (const stray of strays ?? []) {
        const dir = path.dirname(stray);
        straysIn.set(dir, [...(straysIn.get(dir) ?? []), stray]);
      }
      for (const file of [...files, ...(strays ?? [])]) {
        for (
          let dir = path.dirname(file);
          dir.length >= upTo.length && dir.startsWith(upTo);
          dir = path.dirname(dir)
        )
          dirs.add(dir);
      }
      let removedDirs = 0;
      // A folder's path is longer than its parent's: longest first is deepest first. A folder's strays go
      // only when they are all it holds, so it goes with them; otherwise they stay with it (kept).
      for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
        const mine = straysIn.get(dir);
        if (mine) {
          const names = new Set(mine.map((s) => path.basename(s)));
          const inside = listIfThere(at(dir)) ?? [];
          if (!inside.every((e) => names.has(e.name) && !e.isDirectory())) continue;
          for (const stray of mine) {
            try {
              fs.unlinkSync(at(stray));
            } catch (error) {
              if (!gone(error)) throw error;
            }
          }
        }
        if (removeEmptyDir(at(dir))) removedDirs++;
      }
      return { files: removedFiles, dirs: removedDirs };
    },
    removeTree: (dir: string) => {
      if (!fs.lstatSync(at(dir)).isDirectory()) return { files: 0, dirs: 0 };
      fs.rmSync(at(dir), { recursive: true, force: true });
      return { files: 0, dirs: 1 };
    },
  };

  let base: string | undefined;
  const at = (p: string) => (base === undefined ? p : path.join(base, p));

  port.on("message", (request: BatchRequest) => {
    const { id, op, inputs } = request;
    base = request.base;
    const run = ops[op] as (input: unknown) => unknown;
    const results = inputs.map((input) => {
      try {
        return run(input);
      } catch (error) {
        if (gone(error)) return { missing: true };
        const e = error as NodeJS.ErrnoException;
        return {
          failed: true,
          code: e.code ?? "EIO",
          message: e.message,
          path: e.path ?? (typeof input === "string" ? at(input) : ""),
        };
      }
    });
    const moved = results.flatMap((r) => (r instanceof Uint8Array ? [r.buffer as ArrayBuffer] : []));
    port.postMessage({ id, results } satisfies BatchResponse, moved);
  });
}
