import { stringify } from "yaml";

/** The registry's `s3` storage driver settings (test bed servers: plain HTTP, path-style by endpoint). */
export interface RegistryS3Storage {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** The driver's `rootdirectory` (a key prefix); default: none (keys start at `docker/`). */
  rootDirectory?: string;
}

/** What a test may ask of a registry's configuration. */
export interface RegistryConfigOptions {
  port: number;
  storageRoot: string;
  /** Store in a bucket instead of `storageRoot` (the registry's `storage.s3` section). */
  s3?: RegistryS3Storage;
  deleteEnabled: boolean;
  readOnly?: boolean;
  /** htpasswd file for basic auth. */
  htpasswd?: string;
  /** Bearer-token auth: the issuer the registry trusts and the certificate bundle of its signing key. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Server TLS; with `clientCas`, clients must present a certificate signed by one of them (mutual TLS). */
  tls?: { certificate: string; key: string; clientCas?: string[] };
  /** The blob descriptor cache (`storage.cache.blobdescriptor`); default none. `redis` names the server. */
  blobDescriptorCache?: "inmemory" | { redis: string };
}

/** A minimal registry config.yml: own root and port, no cache unless asked, no upload purging, no htpasswd by default. */
export function registryConfigYaml(o: RegistryConfigOptions): string {
  const auth = o.htpasswd
    ? { htpasswd: { realm: "regsweep-test", path: o.htpasswd } }
    : o.token
      ? {
          token: {
            realm: o.token.realm,
            service: o.token.service,
            issuer: o.token.issuer,
            rootcertbundle: o.token.rootCertBundle,
          },
        }
      : undefined;
  const config = {
    version: 0.1,
    log: { level: "info", formatter: "text" },
    storage: {
      ...(o.s3
        ? {
            s3: {
              region: o.s3.region,
              // An endpoint makes the 2.x driver use path-style addressing (it has no forcepathstyle).
              regionendpoint: o.s3.endpoint,
              bucket: o.s3.bucket,
              accesskey: o.s3.accessKey,
              secretkey: o.s3.secretKey,
              secure: o.s3.endpoint.startsWith("https:"),
              v4auth: true,
              ...(o.s3.rootDirectory ? { rootdirectory: o.s3.rootDirectory } : {}),
            },
          }
        : { filesystem: { rootdirectory: o.storageRoot } }),
      delete: { enabled: o.deleteEnabled },
      maintenance: {
        uploadpurging: { enabled: false },
        readonly: { enabled: o.readOnly ?? false },
      },
      ...(o.blobDescriptorCache
        ? { cache: { blobdescriptor: o.blobDescriptorCache === "inmemory" ? "inmemory" : "redis" } }
        : {}),
    },
    ...(typeof o.blobDescriptorCache === "object" ? { redis: { addr: o.blobDescriptorCache.redis } } : {}),
    http: {
      addr: `127.0.0.1:${o.port}`,
      ...(o.tls
        ? {
            tls: {
              certificate: o.tls.certificate,
              key: o.tls.key,
              ...(o.tls.clientCas ? { clientcas: o.tls.clientCas } : {}),
            },
          }
        : {}),
    },
    ...(auth ? { auth } : {}),
  };
  return stringify(config);
}
