import { describeMatrixCells } from "./matrix-cell-tests.js";

// The matrix in native fixtures with the registry on the s3 storage driver: each cell in a bucket of its own
// on a real S3 server the file starts and stops (REGSWEEP_S3_SERVER, Swift by default); regsweep runs on the
// bucket through the registry's config. A failing scenario fails its test. The newest cached version only,
// to keep CI's lab run bounded: `./dev matrix --storage-driver s3` runs every version.
describeMatrixCells("native", "s3", (available) => available.slice(-1));
