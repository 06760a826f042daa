export { COMPATIBLE_CHECKSUMS, withContentMd5OnDeleteObjects } from "./s3-compat.js";
