import { describeMatrixCells } from "./matrix-cell-tests.js";

// Signed schema1 only (registries started with compatibility.schema1.enabled): the code paths of 2.2.
describeMatrixCells("schema1");
