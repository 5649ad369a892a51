// The audit trail's public surface: build a record, seal and verify it, parse its comment.
export { canonicalJson, canonicalBytes, tryCanonicalJson, compareCodePoints, CanonicalJsonError, type JsonValue } from "./canonical.js";
export {
  AUDIT_RECORD_VERSION,
  affectedEnvironments,
  buildMergeRecord,
  buildPushRecord,
  isCompliant,
  recordLabel,
  type AuditApproval,
  type AuditEnvironment,
  type AuditRecord,
  type AuditRule,
  type AuditUnlinked,
  type MergeRecord,
  type MergeRecordBody,
  type MergeRecordInput,
  type PolicyVersion,
  type PushCommit,
  type PushRecord,
  type PushRecordBody,
  type PushRecordInput,
  type Seal,
  type UnsealedRecord,
} from "./record.js";
export { chainSummary, type AppliedRecord, type ChainEntry, type ChainSummary, type DeploymentRecord, type UnsealedVerdict, type VerdictRecord } from "./verdict-record.js";
export { assessStep, judgeApplied, judgeChain, judgeDeployment, MAX_CHAIN_COMMITS, type Chain, type ChainLink, type ChainStep, type LinkStatus } from "./chain.js";
export { digestOf, loadPublicKey, loadSigningKey, sealRecord, sealedBytes, verifyRecord, type KeyResult, type SealResult, type Verification } from "./seal.js";
export { AUDIT_MARKER, parseAuditComment, parseAuditComments, type ParsedAuditComment } from "./comment.js";
export { buildExportRow, isExportRow, rowLabel, type AuditExportRow, type ExportedChange } from "./export-row.js";
export { checkExtracted, extractRecords, type CheckedItem, type Extracted, type Extraction } from "./extract.js";
