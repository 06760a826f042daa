import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createTestBucket, repoRoot, type TestBucket, trackProcess } from "@regsweep/testbed";
import { afterAll, beforeAll, expect, inject, it } from "vitest";

// Two regsweep runs on one bucket, as real processes of the built engine (`pnpm build` first): each takes
// the lock at the same instant, holds it a while if it won, then lets go. Exactly one may win each round, on
// a server with conditional writes (If-None-Match, atomic: Ceph 16.2.15) and on one without (Swift s3api:
// look, write, settle, read back).
const server = inject("s3Server");
let bucket: TestBucket;
beforeAll(async () => {
  bucket = await createTestBucket(server, "lock");
});
afterAll(async () => {
  await bucket?.remove();
});

const CHILD = `
const [dist, json] = process.argv.slice(1);
const { S3Store, lockStorage } = await import(dist);
const { target, startAt, holdMs } = JSON.parse(json);
const store = new S3Store(target);
await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
try {
  const lock = await lockStorage(store);
  console.log(JSON.stringify({ won: true, atomic: store.capabilities.atomicExclusive }));
  await new Promise((r) => setTimeout(r, holdMs));
  await lock.release();
} catch (error) {
  console.log(JSON.stringify({ won: false, code: error.code, message: error.message }));
} finally {
  await store.close();
}
`;

type Outcome = { won: boolean; atomic?: boolean; code?: string; message?: string };

function runChild(
  prefix: string,
  startAt: number,
  holdMs: number,
): { child: ChildProcess; done: Promise<Outcome> } {
  const dist = join(repoRoot(), "packages/cleaner/dist/index.js");
  const target = {
    bucket: bucket.name,
    prefix,
    region: server.region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  };
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", CHILD, dist, JSON.stringify({ target, startAt, holdMs })],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  trackProcess(child, { kind: "regsweep-lock-child" });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const line = out.trim().split("\n").at(-1);
      if (!line) return reject(new Error(`child exited ${code ?? signal} without an answer: ${err}`));
      resolve(JSON.parse(line) as Outcome);
    });
  });
  return { child, done };
}

it("two (or three) processes taking the lock at once: exactly one wins each round, the others stop with storage.locked", async () => {
  const prefix = `race-${randomBytes(4).toString("hex")}/`;
  for (let round = 0; round < 3; round++) {
    const startAt = Date.now() + 1_500;
    const runs = [0, 1, 2].map(() => runChild(prefix, startAt, 2_500));
    const outcomes = await Promise.all(runs.map((r) => r.done));
    const winners = outcomes.filter((o) => o.won);
    expect(winners, JSON.stringify(outcomes)).toHaveLength(1);
    for (const o of outcomes.filter((x) => !x.won)) expect(o.code, o.message).toBe("storage.locked");
    // Which path ran: the atomic one (412 on a taken key) or the best-effort one (501).
    console.log(`${server.kind}: round ${round}: atomic=${winners[0]?.atomic}`);
  }
  // Every winner let go: nothing of the lock is left.
  expect(await bucket.keys(prefix)).toEqual([]);
}, 60_000);

it("a lock left by a process killed with -9 is taken over by the next run (same host), not kept for ever", async () => {
  const prefix = `killed-${randomBytes(4).toString("hex")}/`;
  const holder = runChild(prefix, Date.now(), 60_000);
  const first = await new Promise<void>((resolve, reject) => {
    holder.child.stdout?.once("data", () => resolve());
    holder.child.once("close", () => reject(new Error("holder exited before taking the lock")));
  });
  expect(first).toBeUndefined();
  expect(await bucket.keys(prefix)).toEqual([`${prefix}.regsweep/lock`]);
  holder.child.kill("SIGKILL");
  await holder.done;
  const next = await runChild(prefix, Date.now(), 0).done;
  expect(next, JSON.stringify(next)).toMatchObject({ won: true });
  expect(await bucket.keys(prefix)).toEqual([]);
}, 60_000);
