/**
 * Errors of the online (Registry HTTP API v2) backend, with stable dotted codes like the rest of the library.
 * Messages carry redacted URLs only: never a password, a token or an Authorization header.
 */
import { RegsweepError } from "../model/errors.js";

/** A registry answered with an HTTP error we did not expect (structured: status, registry error code, method, URL). */
export class RegistryHttpError extends RegsweepError {
  constructor(
    readonly status: number,
    readonly registryCode: string | undefined,
    readonly method: string,
    readonly url: string,
    readonly temporary: boolean,
    detail = "",
  ) {
    super(
      "registry.http",
      `${method} ${url}: HTTP ${status}${registryCode ? ` ${registryCode}` : ""}${detail ? `: ${detail}` : ""}`,
    );
  }
}

/** The registry refuses deletes (`storage.delete.enabled` is false): HTTP 405 UNSUPPORTED. */
export class RegistryDeleteDisabledError extends RegsweepError {
  constructor(readonly url: string) {
    super(
      "registry.delete-disabled",
      `deletes are disabled on this registry (HTTP 405 UNSUPPORTED): set REGISTRY_STORAGE_DELETE_ENABLED=true (${url})`,
    );
  }
}

/** Credentials are missing or refused, or the token endpoint failed. */
export class RegistryAuthError extends RegsweepError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("registry.auth", message, options);
  }
}

/** The registry cannot be reached (connection refused, reset, timed out) even after retries. */
export class RegistryUnreachableError extends RegsweepError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super("registry.unreachable", `cannot reach ${url}: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  }
}

/** The TLS handshake failed (untrusted or mismatched certificate, or TLS spoken to a plain-HTTP server). */
export class RegistryTlsError extends RegsweepError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(
      "registry.tls",
      `TLS with ${url} failed: ${(cause as Error)?.message ?? String(cause)} (give the CA with --ca-cert, or --insecure to skip verification)`,
      { cause },
    );
  }
}

/** The registry answered something that breaks the protocol (e.g. a body whose digest is not the one announced). */
export class RegistryProtocolError extends RegsweepError {
  constructor(message: string) {
    super("registry.protocol", message);
  }
}
