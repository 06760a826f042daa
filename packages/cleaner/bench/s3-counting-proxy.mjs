// A small HTTP proxy in front of an S3 endpoint that counts what each client sends, by S3 operation.
// It forwards every request as it came (method, path, headers: SigV4 signs the Host header, which stays
// the proxy's own, and the server checks the signature against what it received), so a client cannot
// tell it is there. Used by s3-bench.mjs to count regsweep's and upstream's requests the same way.
import { appendFileSync } from "node:fs";
import { Agent, createServer, request } from "node:http";

/** A file to append every request to (`op url`), for finding out where requests go. */
const trace = process.env.S3BENCH_TRACE;

/**
 * The S3 operation of a path-style request (`/bucket` or `/bucket/key`, query as sent).
 * @param {string} method
 * @param {string} url
 * @param {import("node:http").IncomingHttpHeaders} headers
 */
export function s3Operation(method, url, headers) {
  const u = new URL(url, "http://proxy");
  const q = u.searchParams;
  const hasKey = /^\/[^/]+\/./.test(u.pathname);
  const copy = headers["x-amz-copy-source"] !== undefined;
  switch (method) {
    case "GET":
      if (q.get("list-type") === "2") return "ListObjectsV2";
      if (q.has("uploads")) return "ListMultipartUploads";
      if (q.has("uploadId")) return "ListParts";
      return hasKey ? "GetObject" : "ListObjects";
    case "HEAD":
      return hasKey ? "HeadObject" : "HeadBucket";
    case "PUT":
      if (q.has("partNumber")) return copy ? "UploadPartCopy" : "UploadPart";
      if (copy) return "CopyObject";
      return hasKey ? "PutObject" : "CreateBucket";
    case "POST":
      if (q.has("delete")) return "DeleteObjects";
      if (q.has("uploads")) return "CreateMultipartUpload";
      if (q.has("uploadId")) return "CompleteMultipartUpload";
      return "POST";
    case "DELETE":
      if (q.has("uploadId")) return "AbortMultipartUpload";
      return hasKey ? "DeleteObject" : "DeleteBucket";
    default:
      return method;
  }
}

/**
 * Starts the proxy on a free 127.0.0.1 port in front of `upstream` (`http://127.0.0.1:PORT`).
 * `counts` is a Map operation → requests since the last `reset()`; `errors` the answers ≥ 500.
 * @param {string} upstream
 */
export async function startCountingProxy(upstream) {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  let counts = new Map();
  // Milliseconds from a request's arrival to the end of its answer, summed per operation: where a run's time
  // goes on the server (overlapping requests each count their own time).
  let busyMs = new Map();
  // From an operation's first request arriving to its last answer ending: how long a run spent in, say,
  // its deletes, wherever they overlap other requests.
  let firstAt = new Map();
  let lastAt = new Map();
  let serverErrors = 0;
  const server = createServer((req, res) => {
    const op = s3Operation(req.method ?? "GET", req.url ?? "/", req.headers);
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const arrived = performance.now();
    if (!firstAt.has(op)) firstAt.set(op, arrived);
    res.once("finish", () => {
      const now = performance.now();
      busyMs.set(op, (busyMs.get(op) ?? 0) + now - arrived);
      lastAt.set(op, now);
    });
    if (trace) appendFileSync(trace, `${op} ${req.url}\n`);
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        if ((answer.statusCode ?? 0) >= 500) serverErrors++;
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    out.on("error", (error) => {
      serverErrors++;
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(out);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Requests, their summed time and their span by operation since the last reset, and the total. */
    take() {
      const taken = {
        byOperation: Object.fromEntries([...counts].sort()),
        msByOperation: Object.fromEntries([...busyMs].sort().map(([op, ms]) => [op, Math.round(ms)])),
        spanMsByOperation: Object.fromEntries(
          [...lastAt].sort().map(([op, end]) => [op, Math.round(end - firstAt.get(op))]),
        ),
        serverErrors,
      };
      taken.total = [...counts.values()].reduce((a, b) => a + b, 0);
      counts = new Map();
      busyMs = new Map();
      firstAt = new Map();
      lastAt = new Map();
      serverErrors = 0;
      return taken;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
      agent.destroy();
    },
  };
}
