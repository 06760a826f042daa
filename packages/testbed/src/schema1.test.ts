import { generateKeyPairSync } from "node:crypto";
import { describe, expect, test } from "vitest";
import { libtrustKeyId, signedSchema1, verifySchema1 } from "./schema1.js";
import { layer } from "./test-images.js";

describe("signedSchema1", () => {
  const layers = [layer("bottom"), layer("top")];

  test("signs a payload that verifies and whose digest is the payload's", () => {
    const m = signedSchema1({ name: "test/s1", tag: "1", layers });
    const verified = verifySchema1(m.bytes);
    expect(verified.payload.equals(m.payload)).toBe(true);
    expect(verified.keyIds).toEqual([m.keyId]);
    const doc = JSON.parse(m.bytes.toString()) as Record<string, unknown>;
    expect(doc).toMatchObject({ schemaVersion: 1, name: "test/s1", tag: "1" });
    // Docker order: top layer first, history parallel to fsLayers.
    expect(doc.fsLayers).toEqual([{ blobSum: layers[1]?.digest }, { blobSum: layers[0]?.digest }]);
    expect((doc.history as unknown[]).length).toBe(2);
    expect(JSON.parse(m.payload.toString())).not.toHaveProperty("signatures");
  });

  test("a changed byte in the payload breaks the signature", () => {
    const m = signedSchema1({ name: "test/s1", tag: "1", layers });
    const tampered = Buffer.from(m.bytes.toString().replace('"tag": "1"', '"tag": "2"'));
    expect(() => verifySchema1(tampered)).toThrow();
  });

  test("a kid that does not match the JWK is refused (libtrust checks it)", () => {
    const m = signedSchema1({ name: "test/s1", tag: "1", layers });
    const other = libtrustKeyId(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey);
    expect(() => verifySchema1(Buffer.from(m.bytes.toString().replace(m.keyId, other)))).toThrow(/kid/);
  });

  test("the key id has libtrust's shape: 12 base32 groups of 4", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(libtrustKeyId(publicKey)).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
  });

  test("the same key signs every manifest it is given", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const a = signedSchema1({ name: "test/a", tag: "1", layers, key: privateKey });
    const b = signedSchema1({ name: "test/b", tag: "1", layers, key: privateKey });
    expect(a.keyId).toBe(b.keyId);
  });
});
