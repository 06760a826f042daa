import pLimit, { type LimitFunction } from "p-limit";

/** Attempts per request before a throttled or failing one is given up (`AWS_MAX_ATTEMPTS` overrides). */
export const DEFAULT_S3_MAX_ATTEMPTS = 8;
/** The first retry's ceiling after a throttling answer; it doubles per attempt up to `MAX_BACKOFF_MS`. */
const THROTTLED_BASE_MS = 500;
/** The first retry's ceiling after a 5xx or a dropped connection. */
const TRANSIENT_BASE_MS = 100;
/** The longest wait before one retry (the AWS SDKs' cap). */
const MAX_BACKOFF_MS = 20_000;

/** Why a request is worth sending again: the server asked for fewer requests, or failed for now. */
export type RetryKind = "throttled" | "transient";

type SdkError = Error & {
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  code?: string;
};

/** Names S3 servers give a throttling answer (AWS `SlowDown`, Ceph and Swift s3api the same, others). */
const THROTTLING_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "TooManyRequests",
  "TooManyRequestsException",
]);
const TRANSIENT_CODES = new Set(["InternalError", "ServiceUnavailable", "RequestTimeout", "TimeoutError"]);
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

/**
 * Whether an S3 answer (an SDK error, or a DeleteObjects per-key error given as `{ name: Code }`) is worth
 * retrying, and as what: a throttling answer (429, any 503) or a transient failure (other 5xx,
 * timeouts, dropped connections). Anything else (403, 404, a bad request) is final.
 */
export function retryKind(error: unknown): RetryKind | undefined {
  const e = error as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  // Any 503 is taken as throttling: AWS answers SlowDown with it, Swift's ServiceUnavailable says "reduce
  // your request rate", and a HEAD's 503 has no body to name its code (the SDK says UnknownError).
  if (status === 429 || status === 503 || THROTTLING_CODES.has(e?.name)) return "throttled";
  // 501 Not Implemented and 505 are answers about the request, not the server's state: asking again gets
  // the same (Swift s3api answers a conditional PUT's If-None-Match with 501, and the lock falls back on it).
  if (status === 501 || status === 505 || e?.name === "NotImplemented") return undefined;
  if ((status !== undefined && status >= 500) || TRANSIENT_CODES.has(e?.name)) return "transient";
  if (status === undefined && (NETWORK_CODES.has(e?.code ?? "") || NETWORK_CODES.has(e?.name)))
    return "transient";
  return undefined;
}

/**
 * The wait before attempt `attempt + 1`: "full jitter" (a random time up to a ceiling that doubles per
 * attempt, so clients that were refused together do not come back together), never shorter than a
 * `Retry-After` the server sent, never longer than `MAX_BACKOFF_MS`.
 */
export function backoffMs(attempt: number, kind: RetryKind, error?: unknown, random = Math.random): number {
  const base = kind === "throttled" ? THROTTLED_BASE_MS : TRANSIENT_BASE_MS;
  const ceiling = Math.min(MAX_BACKOFF_MS, base * 2 ** (attempt - 1));
  const after = Number((error as SdkError)?.$response?.headers?.["retry-after"]);
  const floor = Number.isFinite(after) && after > 0 ? Math.min(MAX_BACKOFF_MS, after * 1000) : 0;
  return Math.max(floor, Math.floor(random() * ceiling));
}

/** `AWS_MAX_ATTEMPTS` (the AWS SDKs' own setting) when it is a whole number from 1, else the default. */
export function maxAttemptsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_S3_MAX_ATTEMPTS;
}

/**
 * A limit on requests in flight that gives way when the server throttles (additive increase,
 * multiplicative decrease, as TCP does): a throttling answer halves it, once per round of requests sent at
 * the old limit (the 32 answers of one refused burst halve it once, not 32 times); every `limit` answers
 * without one raise it by one, back up to `max`.
 */
export class AdaptiveLimit {
  readonly run: LimitFunction;
  private successes = 0;
  /** Answers worth a retry, by kind (the last of a request given up included): what summaries and tests count. */
  readonly refusals = { throttled: 0, transient: 0 };
  /** The lowest limit reached. */
  lowest: number;

  constructor(readonly max: number) {
    this.run = pLimit(max);
    this.lowest = max;
  }

  get current(): number {
    return this.run.concurrency;
  }

  /** Runs `fn` under the limit; returns the limit it ran under with the result. */
  async send<T>(fn: () => Promise<T>): Promise<{ value: T } | { error: unknown; sentAt: number }> {
    let sentAt = this.current;
    try {
      const value = await this.run(() => {
        sentAt = this.current;
        return fn();
      });
      if (++this.successes >= this.current && this.current < this.max) {
        this.successes = 0;
        this.run.concurrency = this.current + 1;
      }
      return { value };
    } catch (error) {
      return { error, sentAt };
    }
  }

  /** A transient failure (5xx, dropped connection): counted; the limit stays. */
  failed(): void {
    this.refusals.transient++;
  }

  /** A throttling answer to a request sent while the limit was `sentAt`. */
  throttled(sentAt: number): void {
    this.refusals.throttled++;
    this.successes = 0;
    if (sentAt !== this.current) return; // this round was already answered by halving
    this.run.concurrency = Math.max(1, Math.floor(this.current / 2));
    this.lowest = Math.min(this.lowest, this.current);
  }
}
