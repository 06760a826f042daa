import { DockerStreamError } from "./lab-errors.js";

/** One JSON line of a Docker build or push progress stream (only the fields the lab reads). */
export interface DockerStreamMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/**
 * Reads a build or push stream to its end and returns every message; throws `DockerStreamError` on the first
 * `error`/`errorDetail` line. The engine answers 200 OK before it starts, so failures only show up here, and
 * dockerode's `followProgress` does not look for them.
 */
export async function readDockerStream(
  stream: NodeJS.ReadableStream,
  kind: "build" | "push",
  operation: string,
): Promise<DockerStreamMessage[]> {
  const messages: DockerStreamMessage[] = [];
  let pending = "";
  const take = (line: string) => {
    if (line.trim() === "") return;
    let message: DockerStreamMessage;
    try {
      message = JSON.parse(line) as DockerStreamMessage;
    } catch {
      throw new DockerStreamError(kind, operation, `unreadable progress line: ${line.slice(0, 200)}`);
    }
    if (message.error !== undefined || message.errorDetail !== undefined) {
      throw new DockerStreamError(
        kind,
        operation,
        message.errorDetail?.message ?? message.error ?? "unknown",
      );
    }
    messages.push(message);
  };
  // A JSON message can be split across chunks: only complete lines are parsed.
  for await (const chunk of stream) {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) take(line);
  }
  take(pending);
  return messages;
}
