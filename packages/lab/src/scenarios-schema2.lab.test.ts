import { describeMatrixCells } from "./matrix-cell-tests.js";

// Schema2 and manifest lists only, no OCI kinds: the code paths of 2.3–2.6, on the registries we can run.
describeMatrixCells("schema2");
