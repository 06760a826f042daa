import type { Scenario } from "../scenario.js";
import { cleanOldVersionsKeepsTheNewestN } from "./clean-old-versions-keeps-the-newest-n.js";
import { crossRepositoryMountSurvivesDeletingTheSource } from "./cross-repository-mount-survives-deleting-the-source.js";
import { deleteUntaggedKeepsChildrenOfTaggedManifestList } from "./delete-untagged-keeps-children-of-tagged-manifest-list.js";
import { deletingATagAndThenRepushingItWorks } from "./deleting-a-tag-and-then-repushing-it-works.js";
import { deletingActuallyDeletes } from "./deleting-actually-deletes.js";
import { deletingAllImagesDeletesAllData } from "./deleting-all-images-deletes-all-data.js";
import { deletingAnImageDoesNotHarmAnEquivalentTagInAnotherRepo } from "./deleting-an-image-does-not-harm-an-equivalent-tag-in-another-repo.js";
import { deletingByTag } from "./deleting-by-tag.js";
import { deletingTagFirstDoesNotLeaveStuffLyingAround } from "./deleting-tag-first-does-not-leave-stuff-lying-around.js";
import { deletingUntagged } from "./deleting-untagged.js";
import { deletingWithDryRunDoesNotDelete } from "./deleting-with-dry-run-does-not-delete.js";
import { deletingWithNoImageArgumentTellsYouToTryAgain } from "./deleting-with-no-image-argument-tells-you-to-try-again.js";
import { gcUntaggedKeepsChildrenOfTaggedIndex } from "./gc-untagged-keeps-children-of-tagged-index.js";
import { killedApplyResumes } from "./killed-apply-resumes.js";
import { onlineDeleteOnARunningRegistry } from "./online-delete-on-a-running-registry.js";
import { pushInFlightSurvivesGc } from "./push-in-flight-survives-gc.js";
import { referrersFollowTheirSubject } from "./referrers-follow-their-subject.js";
import { retentionPolicyFileOverSeveralRepositories } from "./retention-policy-file-over-several-repositories.js";
import { schema1ImagesDeleteUntaggedAndRepository } from "./schema1-images-delete-untagged-and-repository.js";
import { upstreamGcDeleteUntaggedComparedOnMultiArch } from "./upstream-gc-delete-untagged-compared-on-multi-arch.js";

/** Every scenario, in the seed suite's order, then the lab's own. */
export const allScenarios: readonly Scenario[] = [
  deletingUntagged,
  deletingATagAndThenRepushingItWorks,
  deletingAllImagesDeletesAllData,
  deletingTagFirstDoesNotLeaveStuffLyingAround,
  deletingAnImageDoesNotHarmAnEquivalentTagInAnotherRepo,
  deletingByTag,
  deletingActuallyDeletes,
  deletingWithDryRunDoesNotDelete,
  deletingWithNoImageArgumentTellsYouToTryAgain,
  cleanOldVersionsKeepsTheNewestN,
  retentionPolicyFileOverSeveralRepositories,
  onlineDeleteOnARunningRegistry,
  gcUntaggedKeepsChildrenOfTaggedIndex,
  deleteUntaggedKeepsChildrenOfTaggedManifestList,
  upstreamGcDeleteUntaggedComparedOnMultiArch,
  referrersFollowTheirSubject,
  pushInFlightSurvivesGc,
  killedApplyResumes,
  crossRepositoryMountSurvivesDeletingTheSource,
  schema1ImagesDeleteUntaggedAndRepository,
];

/** The scenario named `name`; throws listing the known names otherwise. */
export function findScenario(name: string): Scenario {
  const found = allScenarios.find((s) => s.name === name);
  if (!found)
    throw new Error(`unknown scenario '${name}' (known: ${allScenarios.map((s) => s.name).join(", ")})`);
  return found;
}
