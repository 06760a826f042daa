// One measured regsweep step on a bucket, in its own process so its peak RSS is its own (s3-bench.mjs
// wraps it in /usr/bin/time -v). The library on an S3Store, as the CLI runs it. Prints one JSON line.
//
//   node s3-run-one.mjs dry|real|check '<S3Target as JSON>'
import { S3Store } from "../dist/index.js";
import { measureCheck, measureGc } from "./measure-gc.mjs";

const [mode, targetJson] = process.argv.slice(2);
const target = JSON.parse(targetJson);
const out = { mode };
const store = new S3Store(target);

try {
  if (mode === "dry" || mode === "real") await measureGc(store, mode, out);
  else if (mode === "check") await measureCheck(store, out);
  else {
    console.error(`unknown mode ${mode}`);
    process.exitCode = 2;
  }
} finally {
  await store.close();
}
out.storeRequests = Object.fromEntries(store.requests);
out.maxRssKb = process.resourceUsage().maxRSS;
console.log(JSON.stringify(out));
