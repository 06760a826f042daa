import { describe, expect, it } from "vitest";
import { sha256Digest } from "../model/manifest.js";
import { RegistryTlsError } from "./http-errors.js";
import { nextLink } from "./paginate.js";
import { schema1CanonicalDigest } from "./read-registry-inventory.js";
import { redactUrl, registryBaseUrl, retryAfterMs } from "./registry-client.js";

describe("registryBaseUrl", () => {
  it.each([
    ["127.0.0.1:5000", "http://127.0.0.1:5000/"],
    ["localhost:5000", "http://localhost:5000/"],
    ["reg.example:5000", "https://reg.example:5000/"],
    ["https://reg.example/", "https://reg.example/"],
    ["http://127.0.0.1:5000", "http://127.0.0.1:5000/"],
  ])("%s → %s", (input, expected) => {
    expect(registryBaseUrl(input).toString()).toBe(expected);
  });
  it("refuses plain HTTP to a non-loopback host unless asked", () => {
    expect(() => registryBaseUrl("http://reg.example:5000")).toThrow(RegistryTlsError);
    expect(registryBaseUrl("http://reg.example:5000", true).protocol).toBe("http:");
    expect(registryBaseUrl("reg.example:5000", true).protocol).toBe("http:");
  });
});

describe("redactUrl", () => {
  it("drops userinfo and secret-looking query values", () => {
    expect(redactUrl("https://u:p4ss@reg.example/token?service=x&access_token=abc")).toBe(
      "https://reg.example/token?service=x&access_token=REDACTED",
    );
  });
});

describe("retryAfterMs", () => {
  it.each([
    ["3", 3000],
    ["0", 0],
    ["100000", 60_000],
    [undefined, undefined],
    ["soon", undefined],
  ])("%s → %s", (value, expected) => {
    expect(retryAfterMs(value)).toBe(expected);
  });
  it("takes an HTTP date", () => {
    expect(retryAfterMs(new Date(10_000).toUTCString(), 5_000)).toBe(5_000);
  });
});

describe("nextLink", () => {
  it.each([
    ['</v2/_catalog?last=b&n=2>; rel="next"', "/v2/_catalog?last=b&n=2"],
    ["<https://r/v2/x/tags/list?n=1&last=a>; rel=next", "https://r/v2/x/tags/list?n=1&last=a"],
    ['</a>; rel="prev", </b>; rel="next"', "/b"],
    [undefined, undefined],
  ])("%s", (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });
});

describe("schema1CanonicalDigest", () => {
  it("hashes the JWS payload (body up to formatLength + formatTail), not the signed body", () => {
    const payload = '{\n   "schemaVersion": 1,\n   "name": "app"\n}';
    const formatLength = payload.length - 2;
    const tail = payload.slice(formatLength);
    const prot = Buffer.from(
      JSON.stringify({ formatLength, formatTail: Buffer.from(tail).toString("base64url") }),
    ).toString("base64url");
    const signed = `${payload.slice(0, formatLength)},\n   "signatures": [{"protected": "${prot}"}]\n}`;
    expect(schema1CanonicalDigest(Buffer.from(signed))).toBe(sha256Digest(Buffer.from(payload)));
  });
});
