import { readFile } from "node:fs/promises";
import {
  type Credentials,
  dockerConfigCredentials,
  InvalidRequestError,
  RegistryClient,
  registryBaseUrl,
} from "@regsweep/cleaner";
import { concurrencyOption } from "./storage-target.js";

/** Where the registry is and how to talk to it, as the user can say it (flags and environment). */
export interface RegistryTargetOptions {
  registry?: string;
  user?: string;
  password?: string;
  passwordStdin?: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  insecure?: boolean;
  plainHttp?: boolean;
  concurrency?: string;
}

// Standard input can be read once: plan and apply both need the password, so it is kept for the process.
const stdinRead = new WeakMap<NodeJS.ReadableStream, Promise<string>>();

function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const known = stdinRead.get(stdin);
  if (known) return known;
  const read = readAll(stdin);
  stdinRead.set(stdin, read);
  return read;
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new InvalidRequestError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Credentials in order: `--user` with `--password` or `--password-stdin`, then `REGSWEEP_USER` /
 * `REGSWEEP_PASSWORD`, then the Docker config file (`auths`, `credHelpers`, `credsStore`); none is anonymous.
 */
export async function resolveCredentials(
  options: RegistryTargetOptions,
  host: string,
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<Credentials | undefined> {
  if (options.password !== undefined && options.passwordStdin)
    throw new InvalidRequestError("--password and --password-stdin exclude each other");
  const user = options.user ?? env.REGSWEEP_USER;
  let password = options.password ?? (options.passwordStdin ? await readStdin(stdin) : env.REGSWEEP_PASSWORD);
  if (options.passwordStdin && !user) throw new InvalidRequestError("--password-stdin needs --user");
  if (user !== undefined) {
    if (password === undefined) password = "";
    return { username: user, password };
  }
  return dockerConfigCredentials(host, env);
}

/** The client for `--registry`, with credentials, TLS files and concurrency from the options. */
export async function registryClientFor(
  options: RegistryTargetOptions,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<RegistryClient> {
  if (!options.registry) throw new InvalidRequestError("no registry given: use --registry <url>");
  const base = registryBaseUrl(options.registry, options.plainHttp);
  const concurrency = concurrencyOption(options) ?? 16;
  if (Boolean(options.clientCert) !== Boolean(options.clientKey))
    throw new InvalidRequestError("--client-cert and --client-key go together");
  const credentials = await resolveCredentials(options, base.host, env);
  return new RegistryClient({
    url: base.toString(),
    concurrency,
    ...(credentials ? { credentials } : {}),
    ...(options.caCert ? { ca: await readPem(options.caCert, "CA bundle") } : {}),
    ...(options.clientCert ? { cert: await readPem(options.clientCert, "client certificate") } : {}),
    ...(options.clientKey ? { key: await readPem(options.clientKey, "client key") } : {}),
    ...(options.insecure ? { insecure: true } : {}),
    ...(options.plainHttp ? { plainHttp: true } : {}),
    ...(signal ? { signal } : {}),
  });
}
