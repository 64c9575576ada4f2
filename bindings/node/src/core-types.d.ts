/* eslint-disable */
// index.d.ts of the npm package `deploygov`. Do not edit it: `npx napi build` writes it from
// src/core-types.d.ts (this header, by hand: the core's serde JSON shapes from
// core/src/{model,policy,validation,audit,events,executor,freeze,records}.rs, core/src/store/mod.rs (LogLine)
// and core/src/engine/{gate,lifecycle,pipeline,guided,health}.rs) followed
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
  /** An item failed under a `pause` policy: waiting for `resume` (retry, skip or abort). */
  | 'paused'
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
  /**
   * Roles that may approve or execute while a freeze window is open, with a written
   * `freeze_override_reason` (audited). Default `admin`, `tenant_admin`.
   */
  freeze_override_roles: string[]
  /** What an item failure does during execution: `revert` everything (default) or `pause` for a human (`resume`). */
  on_failure: FailureMode
  /** Post-deployment verification thresholds and automatic rollback (`reportHealth`). */
  health: HealthPolicy
  /** Keep the artifacts of the last N deployments of this environment (`null`: keep all, the default). */
  artifact_retention: number | null
}

export type FailureMode = 'revert' | 'pause'

/** Thresholds of post-deployment verification; crossing one rolls back when `auto_rollback`. */
export interface HealthPolicy {
  /** More than this many consecutive failed checks trigger (default 3). */
  max_consecutive_failures: number
  /** An error rate above this fraction triggers (default 0.05). */
  max_error_rate: number
  /** A p95 latency above this multiple of the replaced deployment's baseline triggers (default 1.5). */
  max_latency_ratio: number
  /** Roll back automatically when a threshold is crossed (default true). */
  auto_rollback: boolean
}

/** A policy as given: every field left out takes the `development` default (in `health` too). */
export interface PolicyInput extends Partial<Omit<Policy, 'health'>> {
  health?: Partial<HealthPolicy>
}

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
  /** Approve although a freeze window is open (needs a freeze override role; audited). */
  freeze_override_reason?: string | null
}

export interface ExecuteOptions {
  /** Break-glass: execute without the approvals (needs a break-glass role; audited). */
  break_glass_reason?: string | null
  /** Execute although a freeze window is open (needs a freeze override role; audited). */
  freeze_override_reason?: string | null
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
   * `deployment.cancelled`, `version.quarantined`, `version.released`, `environment.frozen`,
   * `environment.unfrozen`, `deployment.freeze_overridden`, `deployment.paused`,
   * `deployment.resumed`, `deployment.verification_failed`, `environment.health_changed`,
   * `artifact.attached`, `artifact.pruned`, `deployment_error.recorded`,
   * `deployment_error.resolved`, ...
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

/** A day of the week, in a weekly freeze window's own time zone. */
export type Day = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'

/** When a freeze window is on: once (`[start, end)`, ISO-8601), or every week in an IANA time zone. */
export type FreezeSchedule =
  | { type: 'one_off'; start: string; end: string }
  | {
      type: 'weekly'
      /** Days on which a window starts. */
      days: Day[]
      /** Local start time, `HH:MM` (24 h). */
      start_time: string
      /** Length in minutes, 1 to one week. */
      duration_minutes: number
      /** IANA time zone, e.g. `Europe/Berlin`. */
      time_zone: string
    }

export interface FreezeSpec {
  /** The environment it freezes; left out or `null`: every environment of the project. */
  environment?: string | null
  /** Shown in refusals (`end-of-quarter`, `weekend`). */
  name: string
  schedule: FreezeSchedule
}

export interface FreezeWindow {
  id: string
  project_id: string
  environment: string | null
  name: string
  schedule: FreezeSchedule
  created_by: string
  created_at: string
}

/** How an out-of-process execution ended (`complete`). */
export type Completion =
  | { outcome: 'success' }
  | {
      outcome: 'failure'
      /** What went wrong. */
      error: string
      /** Index of the item that failed (default the first): items before it are `reverted`, after it `skipped`. */
      failed_item?: number | null
    }

/** One line of a deployment's stage log. */
export interface LogLine {
  /** The cursor: pass as `afterSeq` to read on. */
  seq: number
  at: string
  stage: string
  line: string
}

export interface LogPage {
  /** Lines after the cursor, oldest first. */
  lines: LogLine[]
  /** Pass as `afterSeq` to read on: the last line's `seq`, or the cursor given. */
  next_cursor: number
  /** How many of the deployment's oldest lines were dropped (only the newest 10,000 are kept). */
  dropped: number
  /** Whether the deployment is still running (`deploying` or `paused`): more lines may come. */
  open: boolean
}

/** A decision on a `paused` deployment: `skip` and `abort` need a reason. */
export type ResumeDecision = 'retry' | 'skip' | 'abort'

/** One health check of a live deployment, as the host's monitoring measured it. */
export interface HealthReport {
  /** Whether the check passed. */
  ok: boolean
  /** Fraction of failed requests, 0 to 1. */
  error_rate?: number | null
  /** 95th percentile latency in milliseconds. */
  p95_latency_ms?: number | null
}

export interface HealthCheck {
  id: string
  deployment_id: string
  environment: string
  at: string
  reported_by: string
  report: HealthReport
  /** Failed checks in a row, this one included (0 when it passed). */
  consecutive_failures: number
  /** p95 latency of the deployment this one replaced, if known. */
  baseline_p95_ms: number | null
  /** The thresholds crossed, one sentence each (empty: none). */
  breaches: string[]
}

/** What `reportHealth` did. */
export interface HealthOutcome {
  check: HealthCheck
  /** The environment's health after the check. */
  health: Health
  /** The automatic rollback, when a threshold was crossed and the policy rolls back. */
  rollback: Deployment | null
  /** Why an automatic rollback could not be made. */
  rollback_error: string | null
}

/** One variable key compared between two environments; secret values read `***`. */
export interface VariableDiff {
  key: string
  /** `null`: absent on that side. */
  left: string | null
  right: string | null
  /** Secret on either side. */
  secret: boolean
  /** On both sides with the same secret flag and value. */
  equal: boolean
}

export interface ArtifactSpec {
  entity_type: string
  entity_id: string
  /** Must be in the catalog. */
  version_tag: string
  /** Unique per version (`image`, `bundle.tar.gz`). */
  name: string
  uri: string
  digest?: string | null
  size_bytes?: number | null
}

export interface Artifact {
  id: string
  project_id: string
  entity_type: string
  entity_id: string
  version_tag: string
  name: string
  uri: string
  digest: string | null
  size_bytes: number | null
  created_at: string
  created_by: string
}

export type ErrorCategory = 'configuration' | 'dependency' | 'resource' | 'network' | 'security' | 'performance'
export type ErrorSeverity = 'critical' | 'high' | 'medium' | 'low'

export interface ErrorSpec {
  deployment_id: string
  category: ErrorCategory
  severity: ErrorSeverity
  /** Standardized error code (`DB_CONN_TIMEOUT`). */
  code: string
  /** Deployment stage (`build`, `upload`, `deploy`, `verify`). */
  stage: string
  message: string
  user_impact?: string | null
  business_impact?: string | null
}

export interface ErrorResolution {
  resolved_at: string
  resolved_by: string
  notes: string
}

export interface DeploymentErrorRecord {
  id: string
  project_id: string
  deployment_id: string
  /** The deployment's environment. */
  environment: string
  category: ErrorCategory
  severity: ErrorSeverity
  code: string
  stage: string
  message: string
  user_impact: string | null
  business_impact: string | null
  recorded_at: string
  recorded_by: string
  /** Set once resolved. */
  resolution: ErrorResolution | null
}

/** Every field narrows the result. */
export interface ErrorFilter {
  environment?: string | null
  severity?: ErrorSeverity | null
  unresolved_only?: boolean
}

export interface ReportItem {
  entity_type: string
  entity_id: string
  /** `null`: a rollback removed the entity. */
  version_tag: string | null
  previous_version: string | null
}

/** One deployment in a compliance report. */
export interface ComplianceEntry {
  deployment_id: string
  environment: string
  name: string
  kind: DeploymentKind
  status: DeploymentStatus
  items: ReportItem[]
  requested_by: string
  requested_at: string
  /** Approvals bound to the content as it stands, in order (automatic ones left out). */
  approvers: string[]
  auto_approved: boolean
  executed_by: string | null
  finished_at: string | null
  deployed_at: string | null
  break_glass: Decision | null
  rollback_of: string | null
  rollback_to: string | null
  rolled_back: Decision | null
  /** Rejection or cancellation. */
  refused: Decision | null
  /** `entity_type/entity_id: message` of the failed items. */
  failures: string[]
}

/** Every change to the governed environments in `[from, to)`; `complianceReportCsv` gives the CSV. */
export interface ComplianceReport {
  project_id: string
  environments: string[]
  from: string
  to: string
  generated_at: string
  /** Oldest request first. */
  entries: ComplianceEntry[]
}

/** Delivery figures of one environment over `[from, to)`; rates and means are `null` when there is nothing to divide by. */
export interface EnvironmentMetrics {
  environment: string
  from: string
  to: string
  deployments_finished: number
  succeeded: number
  failed: number
  rolled_back: number
  success_rate: number | null
  mean_time_to_deploy_seconds: number | null
  mean_time_to_roll_back_seconds: number | null
  change_failure_rate: number | null
}
