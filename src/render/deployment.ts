// The description of the GitHub deployment a merged pull request records (SPEC §4.2): which pull
// request, whether it was compliant, and the start of its audit record's digest.
import type { AuditRecord } from "../audit/record.js";

/** `#42 merged; audit sha256:…` (well under GitHub's 140 characters, MAX_DEPLOYMENT_DESCRIPTION). */
export function deploymentDescription(number: number, record: Pick<AuditRecord, "compliant" | "digest">): string {
  return `#${number} merged${record.compliant ? "" : " (compliance violation)"}; audit ${record.digest.slice(0, 19)}`;
}
