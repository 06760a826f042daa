import type { MultipartUploadInfo } from "../model/inventory.js";
import type { Store } from "../stores/store.js";
import { REPOSITORIES_ROOT } from "./storage-paths.js";

/** `<repository>/_uploads/<uuid>/data` below `repositories/`: where a blob upload's multipart upload goes. */
const UPLOAD_DATA = /^(.+)\/_uploads\/([A-Za-z0-9_-][A-Za-z0-9._-]*)\/data$/;

/**
 * The multipart uploads a store holds for blob uploads, in one paginated listing over `repositories/`;
 * `undefined` on a store that has none (no `listMultipartUploads`). Uploads elsewhere are not ours and are
 * left out.
 */
export async function readMultipartUploads(store: Store): Promise<MultipartUploadInfo[] | undefined> {
  if (!store.listMultipartUploads) return undefined;
  const uploads: MultipartUploadInfo[] = [];
  for (const u of await store.listMultipartUploads(REPOSITORIES_ROOT)) {
    const match = UPLOAD_DATA.exec(u.path.slice(REPOSITORIES_ROOT.length + 1));
    if (!u.path.startsWith(`${REPOSITORIES_ROOT}/`) || !match) continue;
    uploads.push({
      repository: match[1] as string,
      upload: match[2] as string,
      uploadId: u.uploadId,
      initiatedAtMs: u.initiatedMs,
    });
  }
  const order = (u: MultipartUploadInfo) => [u.repository, u.upload, u.uploadId];
  return uploads.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as string) < (y[i] as string) ? -1 : 1;
    return 0;
  });
}
