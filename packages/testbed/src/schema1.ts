import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import type { TestBlob, TestManifest } from "./test-images.js";

/** The media type of a signed schema1 manifest (the only kind registry 2.2 takes). */
export const SCHEMA1_SIGNED_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/** What a signed schema1 manifest is made of. 2.2 checks that `name` and `tag` match the PUT's URL. */
export interface Schema1Spec {
  /** The repository the manifest is pushed to. */
  name: string;
  tag: string;
  /** Layers, bottom first (stored top first in `fsLayers`, as Docker wrote them). */
  layers: TestBlob[];
  architecture?: string;
  /** The image's `created` time (ISO), in the top history entry's v1Compatibility; default the epoch. */
  created?: string;
  /** The signing key (P-256); default: a fresh one per manifest, as the Docker engine's own key would be. */
  key?: KeyObject;
}

/** A signed schema1 manifest: `bytes` carry the signature, `digest` is that of the signed payload. */
export interface Schema1Manifest extends TestManifest {
  /** The canonical payload (the manifest without `signatures`): what the registry digests and stores in 2.5+. */
  payload: Buffer;
  /** The libtrust key id of the signing key (`XXXX:XXXX:…`, 12 groups). */
  keyId: string;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * libtrust's key id: base32 of the first 240 bits of the SHA-256 of the public key's DER
 * (SubjectPublicKeyInfo), in 12 colon-separated groups of 4 (libtrust `util.go`, `keyIDFromCryptoKey`).
 * libtrust rejects a JWK whose `kid` does not match its key.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  const encoded = base32(createHash("sha256").update(der).digest().subarray(0, 30));
  return (encoded.match(/.{4}/g) ?? []).join(":");
}

function b64url(bytes: Buffer | string): string {
  return Buffer.from(bytes).toString("base64url");
}

/**
 * A signed schema1 manifest as Docker 1.x engines pushed them: the pretty-printed manifest (3-space
 * indent, like Go's `json.MarshalIndent`) with a libtrust JWS appended as `signatures` — ES256 over
 * `protected.payload`, the JWK in the unprotected header, and `formatLength`/`formatTail` telling a
 * verifier how to cut the payload back out of the signed bytes (libtrust `jsonsign.go`, `PrettySignature`).
 */
export function signedSchema1(spec: Schema1Spec): Schema1Manifest {
  const key = spec.key ?? generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const publicKey = createPublicKey(key);
  const architecture = spec.architecture ?? "amd64";
  // v1 image ids form a chain, bottom to top; the top entry carries the image config.
  const ids = spec.layers.map(() => randomBytes(32).toString("hex"));
  const history = spec.layers.map((_, i) => {
    const v1: Record<string, unknown> = {
      id: ids[i],
      ...(i > 0 ? { parent: ids[i - 1] } : {}),
      created: new Date(0).toISOString(),
      container_config: { Cmd: [`regsweep schema1 layer ${i}`] },
    };
    if (i === spec.layers.length - 1)
      Object.assign(v1, {
        architecture,
        os: "linux",
        config: {},
        ...(spec.created !== undefined ? { created: spec.created } : {}),
      });
    return { v1Compatibility: JSON.stringify(v1) };
  });
  const manifest = {
    schemaVersion: 1,
    name: spec.name,
    tag: spec.tag,
    architecture,
    fsLayers: [...spec.layers].reverse().map((l) => ({ blobSum: l.digest })),
    history: history.reverse(),
  };
  const payload = Buffer.from(JSON.stringify(manifest, null, 3));
  const formatTail = Buffer.from("\n}");
  const formatLength = payload.length - formatTail.length;
  const protectedHeader = b64url(
    JSON.stringify({
      formatLength,
      formatTail: b64url(formatTail),
      time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    }),
  );
  const signingInput = `${protectedHeader}.${b64url(payload)}`;
  // JWS ES256 wants r||s (IEEE P1363), not DER.
  const signature = sign("sha256", Buffer.from(signingInput), { key, dsaEncoding: "ieee-p1363" });
  const jwk = publicKey.export({ format: "jwk" }) as JsonWebKey;
  const keyId = libtrustKeyId(publicKey);
  const signatures = [
    {
      header: { jwk: { crv: jwk.crv, kid: keyId, kty: jwk.kty, x: jwk.x, y: jwk.y }, alg: "ES256" },
      signature: b64url(signature),
      protected: protectedHeader,
    },
  ];
  const bytes = Buffer.concat([
    payload.subarray(0, formatLength),
    Buffer.from(`,\n   "signatures": ${JSON.stringify(signatures, null, 3).replace(/\n/g, "\n   ")}`),
    formatTail,
  ]);
  return {
    digest: `sha256:${createHash("sha256").update(payload).digest("hex")}`,
    mediaType: SCHEMA1_SIGNED_MEDIA_TYPE,
    bytes,
    blobs: [...spec.layers],
    children: [],
    payload,
    keyId,
  };
}

/** A signature of a schema1 manifest, verified: the key id it was made with and the payload it covers. */
export interface VerifiedSchema1 {
  payload: Buffer;
  keyIds: string[];
}

/**
 * Verifies every libtrust signature of a signed schema1 manifest (as distribution's `schema1.Verify` does)
 * and returns the payload they cover; throws naming the first problem.
 */
export function verifySchema1(bytes: Buffer): VerifiedSchema1 {
  const doc = JSON.parse(bytes.toString()) as {
    signatures?: {
      header: { jwk: JsonWebKey & { kid?: string }; alg: string };
      signature: string;
      protected: string;
    }[];
  };
  if (!doc.signatures || doc.signatures.length === 0) throw new Error("schema1 manifest has no signatures");
  let payload: Buffer | undefined;
  const keyIds: string[] = [];
  for (const s of doc.signatures) {
    if (s.header.alg !== "ES256") throw new Error(`unsupported signature algorithm ${s.header.alg}`);
    const header = JSON.parse(Buffer.from(s.protected, "base64url").toString()) as {
      formatLength: number;
      formatTail: string;
    };
    const cut = Buffer.concat([
      bytes.subarray(0, header.formatLength),
      Buffer.from(header.formatTail, "base64url"),
    ]);
    if (payload && !payload.equals(cut)) throw new Error("signatures cover different payloads");
    payload = cut;
    const { kid, ...jwk } = s.header.jwk;
    const key = createPublicKey({ key: jwk, format: "jwk" });
    if (kid !== undefined && kid !== libtrustKeyId(key))
      throw new Error(`JWK kid ${kid} does not match its key`);
    const ok = verify(
      "sha256",
      Buffer.from(`${s.protected}.${b64url(cut)}`),
      { key, dsaEncoding: "ieee-p1363" },
      Buffer.from(s.signature, "base64url"),
    );
    if (!ok) throw new Error(`signature by ${kid ?? "an unnamed key"} does not verify`);
    keyIds.push(libtrustKeyId(key));
  }
  return { payload: payload as Buffer, keyIds };
}
