import { RegsweepError } from "@regsweep/cleaner";

/** Base class of the lab's errors: the library's error with a `lab.*` code, matched by tests on the code. */
export class LabError extends RegsweepError {}

/** No Docker engine answers: the machine was not prepared with `scripts/setup.sh`. */
export class DockerUnavailableError extends LabError {
  constructor(host: string, cause?: unknown) {
    super(
      "lab.docker.unavailable",
      `no Docker engine answers at ${host}: run scripts/setup.sh (it starts one and writes .cache/env.sh)`,
      { cause },
    );
  }
}

/**
 * A build or push failed although the engine answered 200 OK: the Docker API reports such failures as an
 * `error`/`errorDetail` line inside the JSON progress stream.
 */
export class DockerStreamError extends LabError {
  /** What the engine was doing, e.g. `build 127.0.0.1:5000/test/a:latest`. */
  readonly operation: string;
  /** The engine's error text. */
  readonly detail: string;

  constructor(kind: "build" | "push", operation: string, detail: string) {
    super(`lab.docker.${kind}-failed`, `${operation} failed: ${detail}`);
    this.operation = operation;
    this.detail = detail;
  }
}
