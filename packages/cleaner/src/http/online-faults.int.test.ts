import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  defaultTestVersion,
  expectPullable,
  image,
  layer,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { planDeletion } from "../plan/plan-deletion.js";
import { applyOnlinePlan } from "./apply-online-plan.js";
import { readRegistryInventory } from "./read-registry-inventory.js";
import { RegistryClient } from "./registry-client.js";

/**
 * A pass-through proxy in front of a real registry that answers the first `failures` requests of a method
 * with the given status (and `Retry-After`), the way an overloaded registry or load balancer does.
 */
async function faultyProxy(
  target: StartedRegistry,
  fault: { method: string; status: number; failures: number; retryAfter?: string },
) {
  let left = fault.failures;
  const seen: Array<{ method: string; atMs: number; faulted: boolean }> = [];
  const server: Server = createServer((req, res) => {
    const faulted = req.method === fault.method && left > 0;
    seen.push({ method: req.method ?? "", atMs: Date.now(), faulted });
    if (faulted) {
      left--;
      res.writeHead(fault.status, fault.retryAfter ? { "retry-after": fault.retryAfter } : {});
      res.end(JSON.stringify({ errors: [{ code: "TOOMANYREQUESTS", message: "injected" }] }));
      return;
    }
    const upstream = request(
      { host: "127.0.0.1", port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("online engine under faults", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const seeded = async () => {
    const r = await startRegistryProcess({ version: defaultTestVersion() });
    cleanup.push(() => r.stop({ removeStorage: true }));
    const imgs = [];
    for (let i = 0; i < 6; i++) {
      const img = image({ layers: [layer(`f${i}`)] });
      await pushManifest(r, "app", img, `t${i}`);
      imgs.push(img);
    }
    return { r, imgs };
  };

  it("retries 429 and 503 with backoff, honouring Retry-After, and finishes the job", async () => {
    const { r } = await seeded();
    const proxy = await faultyProxy(r, { method: "DELETE", status: 503, failures: 2, retryAfter: "1" });
    cleanup.push(proxy.close);
    const c = new RegistryClient({ url: proxy.url, concurrency: 1, retries: 3, backoffMs: 10 });
    cleanup.push(async () => c.close());
    const plan = planDeletion(
      await readRegistryInventory(c),
      [{ kind: "delete-tag", repository: "app", tag: "t0" }],
      {
        graceMs: 0,
      },
    );
    const report = await applyOnlinePlan(c, plan);
    expect(report.skipped).toEqual([]);
    const deletes = proxy.seen.filter((s) => s.method === "DELETE");
    expect(deletes.filter((d) => d.faulted)).toHaveLength(2);
    // The retry after a faulted answer waited the second Retry-After asked for.
    const firstFault = deletes.findIndex((d) => d.faulted);
    expect((deletes[firstFault + 1]?.atMs ?? 0) - (deletes[firstFault]?.atMs ?? 0)).toBeGreaterThanOrEqual(
      950,
    );
    const after = await readRegistryInventory(c);
    expect(after.repositories[0]?.tags.map((t) => t.name)).not.toContain("t0");
  });

  it("gives up after the retries with a temporary registry.http error naming the status", async () => {
    const { r } = await seeded();
    const proxy = await faultyProxy(r, { method: "GET", status: 429, failures: 100 });
    cleanup.push(proxy.close);
    const c = new RegistryClient({ url: proxy.url, retries: 2, backoffMs: 5 });
    cleanup.push(async () => c.close());
    const error = (await readRegistryInventory(c).catch((e: unknown) => e)) as {
      code?: string;
      status?: number;
      temporary?: boolean;
    };
    expect(error.code).toBe("registry.http");
    expect(error.status).toBe(429);
    expect(error.temporary).toBe(true);
    expect(proxy.seen.filter((s) => s.faulted)).toHaveLength(3);
  });

  it("a stop (Ctrl-C) between actions leaves the rest and the report says what was done", async () => {
    const { r, imgs } = await seeded();
    const c = new RegistryClient({ url: r.url, concurrency: 1 });
    cleanup.push(async () => c.close());
    const inventory = await readRegistryInventory(c);
    const plan = planDeletion(
      inventory,
      inventory.repositories[0]?.tags.map((t) => ({
        kind: "delete-tag" as const,
        repository: "app",
        tag: t.name,
      })) ?? [],
      { graceMs: 0 },
    );
    const controller = new AbortController();
    // Storage-only actions are counted first (they need an offline gc); stop two API actions later.
    const offline = plan.actions.filter((a) => a.type !== "tag" && a.type !== "revision").length;
    const report = await applyOnlinePlan(c, plan, {
      signal: controller.signal,
      onProgress: (done) => {
        if (done >= offline + 2) controller.abort();
      },
    });
    expect(report.done).toBeGreaterThan(0);
    expect(report.done).toBeLessThan(6);
    const left = (await readRegistryInventory(c)).repositories[0]?.tags.length ?? 0;
    expect(left).toBe(6 - report.done);
    await expectPullable(r.host, "app:t5", imgs[5]?.digest);
  });
});
