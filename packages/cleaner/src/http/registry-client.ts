/**
 * The HTTP plumbing of the online backend: one keep-alive agent per registry, TLS options, bounded
 * concurrency, retries with backoff (429, 5xx, connection errors; `Retry-After` honoured), the Basic/Bearer
 * challenge dance with a token cache per scope, and errors that never carry a secret.
 * See distribution's `docs/spec/auth/token.md` and go-containerregistry's `pkg/v1/remote/transport/`.
 */
import http from "node:http";
import https from "node:https";
import pLimit from "p-limit";
import { basicAuthorization, type Credentials, parseChallenge } from "./auth.js";
import {
  RegistryAuthError,
  RegistryDeleteDisabledError,
  RegistryHttpError,
  RegistryTlsError,
  RegistryUnreachableError,
} from "./http-errors.js";

/** How to reach and authenticate to one registry. */
export interface RegistryClientOptions {
  /** `https://host:port` (or `http://` for plain HTTP: allowed for loopback or with `plainHttp`). */
  url: string;
  credentials?: Credentials;
  /** PEM CA bundle to trust in addition to nothing else (replaces the system store, as curl's --cacert). */
  ca?: string | Buffer;
  /** PEM client certificate and key (mutual TLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip TLS certificate verification (explicit switch only). */
  insecure?: boolean;
  /** Allow `http://` to a non-loopback host. */
  plainHttp?: boolean;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  /** Retries after the first attempt for temporary failures (default 4). */
  retries?: number;
  /** Base backoff in ms (doubles each retry, with jitter; default 200). */
  backoffMs?: number;
  signal?: AbortSignal;
}

/** One HTTP answer, body read in full (registry answers are small: manifests, lists, errors). */
export interface RegistryResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** What a request may say besides method and path. */
export interface RequestOptions {
  /** Media types, sent as one `Accept` header each (2.3/2.4 do not split commas). */
  accept?: readonly string[];
  /** The token scope this request needs, e.g. `repository:app:pull` (Bearer registries only). */
  scope?: string;
  /** Statuses that are answers, not errors (2xx always are). */
  expect?: readonly number[];
  /** What to send (blob uploads, manifest PUTs), with its media type. */
  body?: Buffer;
  contentType?: string;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;
const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);
const RETRY_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

/** The URL with any userinfo and secret-looking query values removed, for messages. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url.toString());
    u.username = "";
    u.password = "";
    for (const key of [...u.searchParams.keys()]) {
      if (/token|password|secret|sig/i.test(key)) u.searchParams.set(key, "REDACTED");
    }
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}

/**
 * Normalises what a user types for a registry (`host:port`, `https://host`, `http://127.0.0.1:5000`) to a
 * base URL: https by default, plain HTTP only for loopback hosts or when asked.
 */
export function registryBaseUrl(input: string, plainHttp = false): URL {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input);
  const hostPart = hasScheme ? new URL(input).hostname : (input.split("/")[0] ?? "").replace(/:\d+$/, "");
  const loopback = LOOPBACK.test(hostPart);
  const url = new URL(hasScheme ? input : `${plainHttp || loopback ? "http" : "https"}://${input}`);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new RegistryUnreachableError(redactUrl(url), new Error(`unsupported scheme ${url.protocol}`));
  if (url.protocol === "http:" && !plainHttp && !LOOPBACK.test(url.hostname)) {
    throw new RegistryTlsError(
      redactUrl(url),
      new Error("plain HTTP to a non-loopback registry needs the explicit --plain-http switch"),
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  url.search = "";
  url.hash = "";
  return url;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** `Retry-After` as milliseconds (delta seconds or an HTTP date), capped at a minute. */
export function retryAfterMs(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - nowMs;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : undefined;
}

interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
}

function registryError(body: Buffer): { code?: string; message?: string } {
  try {
    const doc = JSON.parse(body.toString("utf8")) as RegistryErrorBody;
    return doc.errors?.[0] ?? {};
  } catch {
    return {};
  }
}

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

/** A client for one registry's HTTP API v2; all requests share its agent, concurrency limit and token cache. */
export class RegistryClient {
  readonly base: URL;
  /** The base's path without a trailing slash ("" for a registry at the root). */
  readonly basePath: string;
  readonly limit: ReturnType<typeof pLimit>;
  private readonly agent: http.Agent;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  private scheme: "none" | "basic" | "bearer" | undefined;
  private bearerChallenge: Record<string, string> | undefined;
  /** Requests sent, retries included (for benchmarks and reports). */
  requests = 0;

  constructor(readonly options: RegistryClientOptions) {
    this.base = registryBaseUrl(options.url, options.plainHttp);
    this.basePath = this.base.pathname.replace(/\/+$/, "");
    const concurrency = options.concurrency ?? 16;
    this.limit = pLimit(concurrency);
    this.agent =
      this.base.protocol === "https:"
        ? new https.Agent({
            keepAlive: true,
            maxSockets: concurrency + 2,
            rejectUnauthorized: !options.insecure,
            ...(options.ca ? { ca: options.ca } : {}),
            ...(options.cert ? { cert: options.cert } : {}),
            ...(options.key ? { key: options.key } : {}),
          })
        : new http.Agent({ keepAlive: true, maxSockets: concurrency + 2 });
  }

  /** `host:port` as in image references. */
  get host(): string {
    return this.base.host;
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }

  /** A request to a path under the base (`/v2/...`), bounded by the concurrency limit. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<RegistryResponse> {
    return this.limit(() => this.requestNow(method, new URL(this.basePath + path, this.base), opts));
  }

  /** A request to an absolute URL on the same registry (e.g. a `Link` header's next page). */
  requestUrl(method: string, url: URL, opts: RequestOptions = {}): Promise<RegistryResponse> {
    return this.limit(() => this.requestNow(method, url, opts));
  }

  private async requestNow(method: string, url: URL, opts: RequestOptions): Promise<RegistryResponse> {
    let authorized = false;
    for (;;) {
      const headers: http.OutgoingHttpHeaders = { "user-agent": "regsweep" };
      if (opts.accept?.length) headers.accept = [...opts.accept];
      const authorization = await this.authorization(opts.scope);
      if (authorization) headers.authorization = authorization;
      if (opts.body) {
        headers["content-type"] = opts.contentType ?? "application/octet-stream";
        headers["content-length"] = opts.body.length;
      }
      const res = await this.send(method, url, headers, opts.body);
      if (res.status === 401 && !authorized) {
        authorized = true;
        await this.answerChallenge(res, url, opts.scope, authorization);
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || opts.expect?.includes(res.status)) return res;
      throw this.errorFor(method, url, res);
    }
  }

  private errorFor(method: string, url: URL, res: RegistryResponse): Error {
    const { code, message } = registryError(res.body);
    const shown = redactUrl(url);
    if (res.status === 405 && method === "DELETE" && (code === "UNSUPPORTED" || code === undefined))
      return new RegistryDeleteDisabledError(shown);
    if (res.status === 401 || res.status === 403) {
      return new RegistryAuthError(
        `${method} ${shown}: HTTP ${res.status}${code ? ` ${code}` : ""}: ${
          this.options.credentials ? "the credentials were refused or lack the rights" : "credentials needed"
        }`,
      );
    }
    return new RegistryHttpError(
      res.status,
      code,
      method,
      shown,
      res.status === 429 || res.status >= 500,
      message ?? "",
    );
  }

  /** Sends once, retrying temporary failures with backoff. */
  private async send(
    method: string,
    url: URL,
    headers: http.OutgoingHttpHeaders,
    body?: Buffer,
  ): Promise<RegistryResponse> {
    const retries = this.options.retries ?? 4;
    const backoff = this.options.backoffMs ?? 200;
    for (let attempt = 0; ; attempt++) {
      let res: RegistryResponse | undefined;
      let failure: unknown;
      try {
        res = await this.once(method, url, headers, body);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "";
        if (TLS_CODES.has(code) || /certificate|ssl|tls/i.test((error as Error).message))
          throw new RegistryTlsError(redactUrl(url), error);
        if (!RETRY_CODES.has(code) && !(error as { retryable?: boolean }).retryable)
          throw new RegistryUnreachableError(redactUrl(url), error);
        failure = error;
      }
      const temporary = res ? res.status === 429 || res.status >= 500 : true;
      if (!temporary && res) return res;
      if (attempt >= retries || this.options.signal?.aborted) {
        if (res) return res;
        throw new RegistryUnreachableError(redactUrl(url), failure);
      }
      const wait =
        retryAfterMs(res?.headers["retry-after"] as string | undefined) ??
        backoff * 2 ** attempt * (0.5 + Math.random() / 2);
      await sleep(wait, this.options.signal);
    }
  }

  private once(
    method: string,
    url: URL,
    headers: http.OutgoingHttpHeaders,
    body?: Buffer,
  ): Promise<RegistryResponse> {
    this.requests++;
    const lib = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent: this.agent, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      });
      req.on("timeout", () =>
        req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })),
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  private async authorization(scope: string | undefined): Promise<string | undefined> {
    if (this.scheme === "basic" && this.options.credentials)
      return basicAuthorization(this.options.credentials);
    if (this.scheme === "bearer" && this.bearerChallenge) {
      const token = await this.token(scope ?? this.bearerChallenge.scope ?? "");
      return `Bearer ${token.token}`;
    }
    return undefined;
  }

  private async answerChallenge(
    res: RegistryResponse,
    url: URL,
    scope: string | undefined,
    used: string | undefined,
  ): Promise<void> {
    const header = res.headers["www-authenticate"];
    const challenge = parseChallenge(Array.isArray(header) ? (header[0] ?? "") : (header ?? ""));
    if (challenge?.scheme === "basic") {
      if (!this.options.credentials)
        throw new RegistryAuthError(
          `${redactUrl(url)} needs credentials (Basic): give --user and --password`,
        );
      if (this.scheme === "basic") throw this.errorFor("GET", url, res);
      this.scheme = "basic";
      return;
    }
    if (challenge?.scheme === "bearer" && challenge.params.realm) {
      this.scheme = "bearer";
      this.bearerChallenge = challenge.params;
      // The challenge names the scope this very request needs; trust it over our guess.
      const needed = challenge.params.scope ?? scope ?? "";
      // Drop the cached token only if it is the one just refused (expired or too narrow): requests that hit
      // the first challenge together then share one token fetch instead of each asking for its own.
      const cached = this.tokens.get(needed);
      if (cached && used) {
        const token = await cached.catch(() => undefined);
        if (!token || `Bearer ${token.token}` === used) this.tokens.delete(needed);
      }
      if (scope !== undefined && needed !== scope) this.tokens.set(scope, this.token(needed));
      return;
    }
    throw this.errorFor("GET", url, res);
  }

  private token(scope: string): Promise<CachedToken> {
    const cached = this.tokens.get(scope);
    if (cached) {
      return cached.then((t) => {
        if (t.expiresAtMs > Date.now()) return t;
        this.tokens.delete(scope);
        return this.token(scope);
      });
    }
    const fresh = this.fetchToken(scope);
    this.tokens.set(scope, fresh);
    fresh.catch(() => this.tokens.delete(scope));
    return fresh;
  }

  /** Asks the token endpoint for `scope` (several scopes are space-separated in one string). */
  private async fetchToken(scope: string): Promise<CachedToken> {
    const params = this.bearerChallenge ?? {};
    const realm = new URL(params.realm ?? "");
    if (params.service) realm.searchParams.set("service", params.service);
    for (const s of scope.split(" ").filter(Boolean)) realm.searchParams.append("scope", s);
    const headers: http.OutgoingHttpHeaders = { "user-agent": "regsweep" };
    if (this.options.credentials) headers.authorization = basicAuthorization(this.options.credentials);
    let res: RegistryResponse;
    try {
      res = await this.send("GET", realm, headers);
    } catch (error) {
      throw new RegistryAuthError(`token endpoint ${redactUrl(realm)} failed`, { cause: error });
    }
    if (res.status !== 200)
      throw new RegistryAuthError(`token endpoint ${redactUrl(realm)} answered HTTP ${res.status}`);
    const doc = JSON.parse(res.body.toString("utf8")) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
      issued_at?: string;
    };
    const token = doc.token ?? doc.access_token;
    if (!token) throw new RegistryAuthError(`token endpoint ${redactUrl(realm)} gave no token`);
    // The spec's default lifetime is 60 s; renew 10 s early so a token never expires in flight.
    const lifetime = (doc.expires_in ?? 60) * 1000;
    const issued = doc.issued_at ? Date.parse(doc.issued_at) : Date.now();
    return { token, expiresAtMs: (Number.isFinite(issued) ? issued : Date.now()) + lifetime - 10_000 };
  }
}
