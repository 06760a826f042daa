import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Files of a test TLS setup: a CA and a server certificate for 127.0.0.1 signed by it. */
export interface TestTlsFiles {
  ca: string;
  certificate: string;
  key: string;
  /** A client certificate signed by the same CA, for mutual TLS. */
  clientCertificate: string;
  clientKey: string;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: "ignore" });
}

/** A key `<name>.key` and a certificate `<name>.pem` for `subject`, signed by the CA in `dir`. */
function issue(dir: string, name: string, subject: string, extra: string[] = []): void {
  openssl(
    dir,
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subject,
  );
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    ...extra,
  );
}

/** Makes a throw-away CA, a server certificate for IP 127.0.0.1 and a client certificate with openssl in `dir`. */
export function makeTestTls(dir: string): TestTlsFiles {
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=regsweep test CA",
  );
  // Clients check the IP against subjectAltName, not the CN.
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  issue(dir, "server", "/CN=127.0.0.1", ["-extfile", "san.ext"]);
  issue(dir, "client", "/CN=regsweep test client");
  return {
    ca: join(dir, "ca.pem"),
    certificate: join(dir, "server.pem"),
    key: join(dir, "server.key"),
    clientCertificate: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
  };
}

/** Writes an htpasswd file (bcrypt, as the registry requires) for one user into `dir`; returns its path. */
export function writeHtpasswd(dir: string, user: string, password: string): string {
  const path = join(dir, "htpasswd");
  writeFileSync(path, execFileSync("htpasswd", ["-Bbn", user, password]));
  return path;
}
