import { stringify } from "yaml";

/** What a test may ask of a registry's configuration. */
export interface RegistryConfigOptions {
  port: number;
  storageRoot: string;
  deleteEnabled: boolean;
  readOnly?: boolean;
  /** htpasswd file for basic auth. */
  htpasswd?: string;
  /** Bearer-token auth: the issuer the registry trusts and the certificate bundle of its signing key. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Server TLS; with `clientCas`, clients must present a certificate signed by one of them (mutual TLS). */
  tls?: { certificate: string; key: string; clientCas?: string[] };
}

/** A minimal registry config.yml: own root and port, no caches, no upload purging, no htpasswd by default. */
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
      filesystem: { rootdirectory: o.storageRoot },
      delete: { enabled: o.deleteEnabled },
      maintenance: {
        uploadpurging: { enabled: false },
        readonly: { enabled: o.readOnly ?? false },
      },
    },
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
