/* eslint-disable */
// index.d.ts of the npm package `deploygov`. Do not edit it: `npx napi build` writes it from
// src/core-types.d.ts (this header, by hand: the core's serde JSON shapes from
// core/src/{model,policy,validation,audit,events,executor}.rs and core/src/engine/{gate,lifecycle}.rs) followed
// by the declarations napi-rs generates from src/*.rs. Field names are the core's snake_case
// JSON names; timestamps are ISO-8601 strings; 64-bit counters are numbers (far below 2^53).

/** Any JSON value (catalog metadata, audit snapshots). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** Who performs a command. The host authenticates; deploygov authorizes on `roles`. */
export interface Actor {
  id: string
  roles?: string[]
}

export type Health = 'healthy' | 'degraded' | 'down'
export type RiskLevel = 'low' | 'medium' | 'high' | 'critical'
export type DeploymentKind = 'deploy' | 'rollback' | 'promotion'
export type DeploymentStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'cancelled'
  | 'deploying'
  | 'deployed'
  | 'failed'
  | 'superseded'
  | 'rolled_back'
export type ItemStatus = 'pending' | 'deployed' | 'failed' | 'reverted' | 'skipped'
export type Severity = 'error' | 'warning'
export type Phase = 'request' | 'execute'
/** A command the dry run (`check`) can ask about. */
export type Action = 'approve' | 'reject' | 'execute' | 'cancel' | 'rollback'
/** The core's error kinds as they appear in data (`Blocker.code`). */
export type ErrorKind =
  | 'not_found'
  | 'invalid_transition'
  | 'forbidden'
  | 'self_approval'
  | 'policy_violation'
  | 'validation_failed'
  | 'conflict'
  | 'invalid_input'
  | 'storage'
  | 'audit_corrupt'
/** `err.code` of a thrown or rejected error: the kind in UPPER_SNAKE, or `INTERNAL` for a panic. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'FORBIDDEN'
  | 'SELF_APPROVAL'
  | 'POLICY_VIOLATION'
  | 'VALIDATION_FAILED'
  | 'CONFLICT'
  | 'INVALID_INPUT'
  | 'STORAGE'
  | 'AUDIT_CORRUPT'
  | 'INTERNAL'

/** What every deploygov error carries (wrong argument types are `TypeError`s with `code: 'INVALID_INPUT'`). */
export interface DeploygovError extends Error {
  code: ErrorCode
  /** For `VALIDATION_FAILED`: every finding. */
  findings?: ValidationReport
  /** For `STORAGE`: SQLite's extended result code, when there is one. */
  backend_code?: number
  /** For `AUDIT_CORRUPT`: the first entry that does not verify. */
  seq?: number
}

export interface Project {
  id: string
  tenant: string
  name: string
  created_at: string
}

/** An environment variable; secret values read back as `***` and reach only the executor. */
export interface Variable {
  key: string
  value: string
  secret?: boolean
}

export interface ApprovalRule {
  name: string
  required_approvals: number
  eligible_roles: string[]
}

export interface RiskEscalation {
  min_risk: RiskLevel
  extra_approvals: number
  eligible_roles: string[]
}

export interface RollbackPolicy {
  requires_approval?: boolean
  roles: string[]
}

/** Governance of one environment, as read back. */
export interface Policy {
  approval_rules: ApprovalRule[]
  four_eyes: boolean
  risk_escalation: RiskEscalation[]
  request_roles: string[]
  execute_roles: string[]
  cancel_roles: string[]
  reject_roles: string[]
  approval_ttl_seconds: number | null
  break_glass_roles: string[]
  rollback: RollbackPolicy
  /** How long an execution may hold the environment before `sweep` fails it (default 3600; positive). */
  lease_ttl_seconds: number
  /**
   * Environments where the same versions must have gone live, and not been rolled back, before
   * they may be deployed here (else the finding `promotion_required`). Default none.
   */
  requires_success_in: string[]
  /**
   * Quarantine the versions a successful rollback takes out of this environment (actor
   * `deploygov:auto`), so they cannot be requested or promoted again until released. Default `false`.
   */
  quarantine_on_rollback: boolean
}

/** A policy as given: every field left out takes the `development` default. */
export type PolicyInput = Partial<Policy>

export interface Environment {
  project_id: string
  name: string
  position: number
  url: string | null
  variables: Variable[]
  health: Health
  policy: Policy
  revision: number
}

export interface EnvironmentSpec {
  name: string
  position?: number | null
  url?: string | null
  variables?: Variable[]
  /** Default: the policy for the environment's name (development, staging, production). */
  policy?: PolicyInput | null
}

export interface Dependency {
  entity_type: string
  entity_id: string
  /** A semver requirement (`^1.2`) or, for non-semver tags, the exact tag. */
  requirement: string
}

export interface VersionSpec {
  entity_type: string
  entity_id: string
  version_tag: string
  uri?: string | null
  digest?: string | null
  metadata?: JsonValue
  dependencies?: Dependency[]
}

export interface Version {
  project_id: string
  entity_type: string
  entity_id: string
  version_tag: string
  uri: string | null
  digest: string | null
  metadata: JsonValue
  dependencies: Dependency[]
  registered_by: string
  registered_at: string
  /**
   * Set while the version is quarantined (who, when, why): requests and promotions carrying it
   * are refused with the finding `version_quarantined`. `null` when it is not.
   */
  quarantine: Decision | null
}

export interface ItemSpec {
  entity_type: string
  entity_id: string
  version_tag: string
  change_message?: string | null
  /** Default `low`. */
  risk?: RiskLevel
}

export interface DeploymentRequest {
  environment: string
  name: string
  description?: string | null
  items: ItemSpec[]
  idempotency_key?: string | null
  /** ISO-8601: not to be executed before this time (finding `not_yet_due`); see `due`. */
  scheduled_for?: string | null
  /** ISO-8601, after `scheduled_for`: the sweep cancels the deployment if it has not started by then. */
  expires_at?: string | null
}

export interface DeploymentItem {
  entity_type: string
  entity_id: string
  /** `null` only in rollback items: remove the entity from the active state. */
  version_tag: string | null
  change_message: string | null
  risk: RiskLevel
  status: ItemStatus
  error_message: string | null
  deployed_at: string | null
  previous_version: string | null
  previous_deployment_id: string | null
}

export interface Approval {
  actor_id: string
  at: string
  rule: string
  comment: string | null
  content_hash: string
}

export interface Decision {
  actor_id: string
  at: string
  reason: string | null
}

export interface Finding {
  code: string
  severity: Severity
  message: string
  /** Index of the item concerned. */
  item?: number | null
}

export interface ValidationReport {
  errors: Finding[]
  warnings: Finding[]
}

export interface Deployment {
  id: string
  project_id: string
  environment: string
  name: string
  description: string | null
  kind: DeploymentKind
  status: DeploymentStatus
  items: DeploymentItem[]
  requested_by: string
  requested_at: string
  approvals: Approval[]
  rejection: Decision | null
  cancellation: Decision | null
  break_glass: Decision | null
  started_at: string | null
  finished_at: string | null
  deployed_at: string | null
  executed_by: string | null
  rolled_back: Decision | null
  rolled_back_at: string | null
  rollback_of: string | null
  rollback_to: string | null
  promoted_from: string | null
  risk: RiskLevel
  config_snapshot: Variable[]
  content_hash: string
  warnings: Finding[]
  activation_seq: number | null
  /** While `deploying`: when the execution's lease on the environment expires (ISO-8601); else `null`. */
  lease_expires_at: string | null
  /** Not to be executed before this time (ISO-8601), or `null`. */
  scheduled_for: string | null
  /** Cancelled by the sweep when not started by this time (ISO-8601), or `null`. */
  expires_at: string | null
  revision: number
  idempotency_key: string | null
}

export interface DeploymentFilter {
  environment?: string | null
  status?: DeploymentStatus | null
  entity_type?: string | null
  entity_id?: string | null
  requested_by?: string | null
  /** ISO-8601. */
  requested_after?: string | null
  /** ISO-8601. */
  requested_before?: string | null
  cursor?: string | null
  /** Default 50, at most 500. */
  limit?: number | null
}

export interface Page<T> {
  items: T[]
  /** Pass as `cursor` for the next page; `null` on the last page. */
  next_cursor: string | null
}

export interface ActiveEntry {
  environment: string
  entity_type: string
  entity_id: string
  version_tag: string
  deployment_id: string
  since: string
}

export interface HistoryEntry {
  seq: number
  environment: string
  entity_type: string
  entity_id: string
  version_tag: string | null
  deployment_id: string
  at: string
}

/** What was live for one entity at a past instant (`activeStateAt`), and who put it there. */
export interface LiveEntry {
  entity_type: string
  entity_id: string
  version_tag: string
  /** Since when (ISO-8601). */
  since: string
  /** The deployment that made it live. */
  deployment_id: string
  /** Who requested that deployment. */
  requested_by: string
  /** Who approved it (empty for an automatic approval). */
  approved_by: string[]
  /** Who executed it. */
  executed_by: string | null
}

/** What one `sweep` did: the ids of the deployments it changed. */
export interface SweepReport {
  /** Executions whose lease expired: now `failed`, their environment free. */
  leases_expired: string[]
  /** Approved deployments whose approvals expired: back to `pending`. */
  approvals_expired: string[]
  /** Pending or approved deployments not started before their `expires_at`: now `cancelled`. */
  schedules_expired: string[]
}

export interface EnvironmentDiff {
  entity_type: string
  entity_id: string
  left: string | null
  right: string | null
}

export interface ApproveOptions {
  comment?: string | null
  /** Default: the first unmet rule the actor is eligible for. */
  rule?: string | null
}

export interface ExecuteOptions {
  /** Break-glass: execute without the approvals (needs a break-glass role; audited). */
  break_glass_reason?: string | null
}

export interface RollbackOptions {
  /** An earlier deployment of the same environment whose state to restore. */
  target?: string | null
  reason: string
}

export interface Blocker {
  code: ErrorKind
  message: string
}

export interface RuleStatus {
  rule: string
  required: number
  granted: number
  approvers: string[]
  eligible_roles: string[]
}

export interface VoidApproval {
  actor_id: string
  /** `stale_content` or `expired`. */
  reason: string
}

export interface ApprovalState {
  rules: RuleStatus[]
  void: VoidApproval[]
  automatic: boolean
}

export interface DryRun {
  action: Action
  allowed: boolean
  blockers: Blocker[]
  approvals: ApprovalState
  findings: ValidationReport
}

export interface AuditEntry {
  seq: number
  at: string
  actor_id: string
  action: string
  project_id: string | null
  object_type: string
  object_id: string
  before: JsonValue
  after: JsonValue
  reason: string | null
  prev_hash: string
  hash: string
}

export interface AuditVerification {
  entries: number
  head_hash: string
}

/** What an event says happened: the audit entry's snapshots and reason (secret values redacted). */
export interface EventPayload {
  before: JsonValue
  after: JsonValue
  reason: string | null
}

/**
 * One event of the transactional outbox: every command writes one per audit entry, in the same
 * transaction. Read them with `eventsAfter`, or receive them with `subscribe`.
 */
export interface Event {
  /** Store-wide position, increasing: the cursor of `eventsAfter`. */
  seq: number
  /** Stable unique id (UUIDv7), for de-duplication by consumers. */
  id: string
  at: string
  /**
   * `project.created`, `environment.created`, `version.registered`, `deployment.requested`,
   * `deployment.approval_granted`, `deployment.approved`, `deployment.deploying`,
   * `deployment.deployed`, `deployment.failed`, `deployment.rolled_back`,
   * `deployment.lease_expired`, `deployment.lease_released`, `deployment.approvals_expired`,
   * `deployment.cancelled`, `version.quarantined`, `version.released`, ...
   */
  kind: string
  project_id: string | null
  /** `deployment`, `environment`, `version` or `project`. */
  object_type: string
  object_id: string
  /** Who caused it. */
  actor_id: string
  payload: EventPayload
  /**
   * Hex HMAC-SHA256, under the key of `setEventSigningKey`, of the event's JSON with
   * `signature: null` (members in the order of this interface, no whitespace, `payload` members
   * sorted by name at every depth); `null` when no key is set.
   */
  signature: string | null
}

/** Receives each event after its command commits; its return value, throws and rejections are ignored. */
export type Subscriber = (event: Event) => unknown

/** One activation the executor performs. `environment` carries secret values readable. */
export interface Activation {
  environment: Environment
  deployment_id: string
  entity_type: string
  entity_id: string
  /** `null`: remove the entity (nothing was live before). */
  version_tag: string | null
  previous_version: string | null
  /** True when this call undoes an earlier activation after a later item failed. */
  revert: boolean
}

/** Makes a version live somewhere real. Throw or reject to fail the item (the others are reverted). */
export type Executor = (activation: Activation) => unknown

/** What a validator sees. */
export interface ValidationContext {
  phase: Phase
  environment: Environment
  deployment: Deployment
}

/** A host check; returns findings (or a promise of them). A throw or rejection is a `validator_failed` error finding. */
export type Validator = (
  context: ValidationContext,
) => Finding[] | null | undefined | void | Promise<Finding[] | null | undefined | void>

export interface EngineOptions {
  /** A manual clock (tests); default: the system clock. */
  clock?: ManualClock | null
  /** How long the core waits for one executor or validator call before it counts as failed (default 60000). */
  callback_timeout_ms?: number | null
}
