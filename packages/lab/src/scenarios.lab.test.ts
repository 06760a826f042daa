import { describeMatrixCells } from "./matrix-cell-tests.js";

// The matrix in native fixtures (the best kind each version takes); the other modes have their own files.
describeMatrixCells("native");
