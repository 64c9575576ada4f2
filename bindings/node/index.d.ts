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

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/**
 * The deployment-governance engine over an embedded SQLite database. Methods that touch the
 * store return promises and run off the event loop. Data objects use the core's snake_case
 * field names; timestamps are ISO-8601 strings.
 */
export declare class Engine {
  /**
   * Opens (creating if needed) the SQLite database at `database` (`:memory:` for a private
   * in-memory store). Synchronous; see `Engine.open` for the promise form.
   */
  constructor(database: string, options?: EngineOptions | null)
  /** Opens the database off the event loop. */
  static open(database: string, options?: EngineOptions | null): Promise<Engine>
  /** Creates a project. Requires `admin` or `tenant_admin`. */
  createProject(id: string, tenant: string, name: string, actor: Actor): Promise<Project>
  /** Creates an environment; without a policy it gets the default for its name. */
  createEnvironment(project: string, spec: EnvironmentSpec, actor: Actor): Promise<Environment>
  /** Replaces an environment's policy (fields left out take the `development` defaults). */
  setPolicy(project: string, environment: string, policy: PolicyInput, actor: Actor): Promise<Environment>
  /** Replaces an environment's variables; approvals of its open deployments stop counting. */
  setVariables(project: string, environment: string, variables: Variable[], actor: Actor): Promise<Environment>
  /** Records an environment's health (`healthy`, `degraded` or `down`). */
  setHealth(project: string, environment: string, health: Health, actor: Actor): Promise<Environment>
  /** Registers a version in the project's catalog (the same data again is a no-op). */
  registerVersion(project: string, spec: VersionSpec, actor: Actor): Promise<Version>
  /** Requests a deployment; validation errors refuse it with `VALIDATION_FAILED` and `findings`. */
  requestDeployment(project: string, request: DeploymentRequest, actor: Actor): Promise<Deployment>
  /** Approves a deployment (4-eyes: the requester cannot, `SELF_APPROVAL`). */
  approve(project: string, deploymentId: string, actor: Actor, options?: ApproveOptions | null): Promise<Deployment>
  /** Rejects a deployment with a reason. */
  reject(project: string, deploymentId: string, actor: Actor, reason: string): Promise<Deployment>
  /** Cancels a pending or approved deployment. */
  cancel(project: string, deploymentId: string, actor: Actor, reason?: string | null): Promise<Deployment>
  /**
   * Executes an approved deployment, calling `executor` for each item (none: only the active
   * state moves). Resolves with the deployment `deployed`, or `failed` with per-item statuses
   * after a thrown error or rejected promise (`paused` instead under a `pause` policy; see
   * `resume`).
   */
  execute(project: string, deploymentId: string, actor: Actor, options?: ExecuteOptions | null, executor?: Executor | null): Promise<Deployment>
  /**
   * Rolls back a live deployment (`options.reason` is required; `options.target` names an
   * earlier deployment whose state to restore). Resolves with the rollback deployment.
   */
  rollback(project: string, deploymentId: string, actor: Actor, options: RollbackOptions, executor?: Executor | null): Promise<Deployment>
  /**
   * Promotes a deployment that went live (`deployed` or `superseded`) to another environment:
   * resolves with a new deployment of kind `promotion` with the same versions and
   * `promoted_from`, governed by the target's policy like any request (its
   * `requires_success_in` refuses versions that have not gone live where it names, with the
   * finding `promotion_required`).
   */
  promote(project: string, deploymentId: string, toEnvironment: string, actor: Actor): Promise<Deployment>
  /**
   * Ends an execution before its lease expires (its host crashed mid-deploy): the deployment
   * becomes `failed`, the environment is free, the active state stays as it was. Requires
   * `admin` or `tenant_admin` and a reason; audited. The interrupted `execute`, if it ever
   * finishes, rejects with `CONFLICT`.
   */
  releaseLease(project: string, deploymentId: string, actor: Actor, reason: string): Promise<Deployment>
  /**
   * The periodic housekeeping, store-wide and idempotent: executions whose lease
   * (`policy.lease_ttl_seconds`) expired become `failed` and free their environment;
   * pending or approved deployments past their `expires_at` are cancelled; approved
   * deployments whose approvals expired go back to `pending`.
   */
  sweep(): Promise<SweepReport>
  /**
   * Quarantines a catalog version with a reason: requests and promotions carrying it are
   * refused (`VALIDATION_FAILED`, finding `version_quarantined`) until `releaseVersion`.
   * Requires `admin` or `tenant_admin`; audited as `version.quarantined`.
   */
  quarantineVersion(project: string, entityType: string, entityId: string, versionTag: string, actor: Actor, reason: string): Promise<Version>
  /**
   * Releases a quarantined version. Requires `admin` or `tenant_admin` and a reason; audited
   * as `version.released`.
   */
  releaseVersion(project: string, entityType: string, entityId: string, versionTag: string, actor: Actor, reason: string): Promise<Version>
  /**
   * The approved deployments of a project that may run now (their `scheduled_for` has come,
   * or they have none, and they have not expired), oldest first.
   */
  due(project: string): Promise<Deployment[]>
  /** The dry run: may `actor` perform `action` on a deployment now, and if not, why. */
  check(project: string, deploymentId: string, actor: Actor, action: Action): Promise<DryRun>
  /** One project. */
  getProject(project: string): Promise<Project>
  /** The environments of a project, in order (secret values redacted). */
  listEnvironments(project: string): Promise<Environment[]>
  /** One environment (secret values redacted). */
  getEnvironment(project: string, environment: string): Promise<Environment>
  /** Every registered version of one entity, newest first. */
  listVersions(project: string, entityType: string, entityId: string): Promise<Version[]>
  /** One deployment. */
  getDeployment(project: string, deploymentId: string): Promise<Deployment>
  /** Deployments matching `filter`, newest first, one cursor page at a time. */
  listDeployments(project: string, filter?: DeploymentFilter | null): Promise<Page<Deployment>>
  /** Everything live in an environment. */
  activeState(project: string, environment: string): Promise<ActiveEntry[]>
  /** The live version of one entity in an environment, or `null`. */
  activeVersion(project: string, environment: string, entityType: string, entityId: string): Promise<ActiveEntry | null>
  /**
   * The hot path, synchronously: the live version of one entity, or `null`. One indexed
   * lookup on the calling thread (for a file database on its own connection, so it never
   * waits behind a write).
   */
  activeVersionSync(project: string, environment: string, entityType: string, entityId: string): ActiveEntry | null
  /** Only the live version tag of one entity, or `null` (`active_version_tag`). */
  activeVersionTag(project: string, environment: string, entityType: string, entityId: string): Promise<string | null>
  /**
   * The lightest hot read, synchronously: only the live version tag of one entity, or
   * `null`; a string instead of an entry object (on the calling thread, like
   * `activeVersionSync`).
   */
  activeVersionTagSync(project: string, environment: string, entityType: string, entityId: string): string | null
  /**
   * What was live in an environment at the instant `at` (an ISO-8601 string), and for each
   * entity which deployment put it there and who requested, approved and executed it.
   */
  activeStateAt(project: string, environment: string, at: string): Promise<LiveEntry[]>
  /**
   * The deployments that had something live in an environment at the instant `at` (an
   * ISO-8601 string), newest first.
   */
  deploymentsLiveAt(project: string, environment: string, at: string): Promise<Deployment[]>
  /** Changes of the live version of one entity across environments, newest first. */
  entityHistory(project: string, entityType: string, entityId: string, limit?: number | null): Promise<HistoryEntry[]>
  /** The entities whose live versions differ between two environments. */
  compareEnvironments(project: string, left: string, right: string): Promise<EnvironmentDiff[]>
  /** Pending deployments `actor` may approve now, newest first. */
  pendingApprovals(project: string, actor: Actor): Promise<Deployment[]>
  /** Audit entries of a project (optionally of one object), oldest first, after `afterSeq`. */
  auditLog(project: string, objectId?: string | null, afterSeq?: number | null, limit?: number | null): Promise<AuditEntry[]>
  /** Walks the whole audit chain; rejects with `AUDIT_CORRUPT` naming the first broken entry. */
  verifyAudit(): Promise<AuditVerification>
  /**
   * Registers (or replaces) a validator under `name`; it runs on every request and again
   * before every execution, with no store lock held (so it may await calls on this engine;
   * when the deployment or its environment changed meanwhile, validation runs again). A thrown
   * error or rejected promise becomes a `validator_failed` error finding.
   */
  registerValidator(name: string, validator: Validator): void
  /** Removes a validator; returns whether it existed. */
  unregisterValidator(name: string): boolean
  /**
   * Events of the transactional outbox after position `afterSeq` (default 0), of one project
   * (`project` null or left out: every project), oldest first, at most `limit` (default 100,
   * at most 1000); signed when a key is set. Keep the last `seq` as the cursor; delivery is at
   * least once, `id` de-duplicates.
   */
  eventsAfter(project?: string | null, afterSeq?: number | null, limit?: number | null): Promise<Event[]>
  /**
   * Sets the key events are signed with (HMAC-SHA256 over the event's JSON without its
   * signature; `signature` is its hex), or clears it with `null`. A `Buffer` or any
   * `Uint8Array`; an empty key is `INVALID_INPUT`.
   */
  setEventSigningKey(key: Uint8Array | null): void
  /**
   * Registers (or replaces) a subscriber under `name`: after each command commits, it is
   * called on the JavaScript thread with each event the command wrote, in order. The command
   * does not wait for it; a throw or a rejected promise is dropped. It does not keep the
   * process alive.
   */
  subscribe(name: string, subscriber: Subscriber): void
  /** Removes a subscriber; returns whether it existed. */
  unsubscribe(name: string): boolean
  /**
   * Creates a freeze window for one environment or (no `environment`) the whole project:
   * while it is on, approving and executing there is refused with the finding
   * `environment_frozen` unless a freeze override role gives `freeze_override_reason`.
   * Requires `admin` or `tenant_admin`; audited as `environment.frozen`.
   */
  addFreeze(project: string, spec: FreezeSpec, actor: Actor): Promise<FreezeWindow>
  /**
   * Removes a freeze window with a reason. Requires `admin` or `tenant_admin`; audited as
   * `environment.unfrozen`. Resolves with the removed window.
   */
  removeFreeze(project: string, freezeId: string, actor: Actor, reason: string): Promise<FreezeWindow>
  /**
   * The freeze windows of a project, or (with `environment`) those that apply to one
   * environment: its own and the project-wide ones; oldest first.
   */
  listFreezes(project: string, environment?: string | null): Promise<FreezeWindow[]>
  /**
   * The freeze windows that cover an environment at the instant `at` (an ISO-8601 string);
   * empty: not frozen then.
   */
  activeFreezes(project: string, environment: string, at: string): Promise<FreezeWindow[]>
  /**
   * Starts an out-of-process execution: the gates and transaction of `execute`
   * (`approved → deploying`, the environment taken with a lease of the policy's
   * `lease_ttl_seconds`) without calling an executor. Append stage logs with `log`, extend
   * the lease with `heartbeat`, finish with `complete`.
   */
  begin(project: string, deploymentId: string, actor: Actor, options?: ExecuteOptions | null): Promise<Deployment>
  /**
   * Appends a line to the stage log of a running (`deploying` or `paused`) deployment;
   * resolves with the line's cursor (`seq`). Not audited; only the newest 10,000 lines of a
   * deployment are kept.
   */
  log(project: string, deploymentId: string, stage: string, line: string): Promise<number>
  /**
   * A page of a deployment's stage log after the cursor `afterSeq` (default 0: from the
   * start), at most `limit` lines (default 500, at most 5,000). To follow a running
   * deployment, poll with `next_cursor` while `open`.
   */
  deploymentLogs(project: string, deploymentId: string, afterSeq?: number | null, limit?: number | null): Promise<LogPage>
  /**
   * Extends the lease of a `deploying` deployment by the policy's `lease_ttl_seconds` from
   * now. Only its executor or an admin may.
   */
  heartbeat(project: string, deploymentId: string, actor: Actor): Promise<Deployment>
  /**
   * Finishes an out-of-process execution: `{ outcome: 'success' }` makes every item live as
   * `execute` does; `{ outcome: 'failure', error, failed_item? }` fails the deployment and
   * leaves the active state as it was. Only its executor or an admin may.
   */
  complete(project: string, deploymentId: string, actor: Actor, completion: Completion): Promise<Deployment>
  /**
   * Decides on a `paused` deployment (an item failed under a `pause` policy): `retry` calls
   * `executor` for the failed item again, `skip` leaves it out, `abort` reverts what went
   * live and fails the deployment. `skip` and `abort` need a reason. Resolves with the
   * deployment `deployed`, `failed`, or `paused` again when another item fails (a throw or
   * rejection of `executor` fails the item).
   */
  resume(project: string, deploymentId: string, actor: Actor, decision: ResumeDecision, reason?: string | null, executor?: Executor | null): Promise<Deployment>
  /**
   * Records a health check of a live (`deployed`) deployment. Crossing a threshold of the
   * environment's `policy.health` sets the environment `down` and, unless `auto_rollback` is
   * off, rolls the deployment back at once (as `deploygov:health`, with `executor`); a failed
   * check below the thresholds makes it `degraded`, a passing one `healthy`.
   */
  reportHealth(project: string, deploymentId: string, report: HealthReport, actor: Actor, executor?: Executor | null): Promise<HealthOutcome>
  /** The health checks of a deployment, oldest first. */
  healthChecks(project: string, deploymentId: string): Promise<HealthCheck[]>
  /**
   * Removes variables from an environment (audited like `setVariables`; approvals of its
   * open deployments stop counting). A key the environment does not have is `NOT_FOUND` and
   * nothing changes. Requires `admin` or `tenant_admin`.
   */
  unsetVariables(project: string, environment: string, keys: string[], actor: Actor): Promise<Environment>
  /**
   * Compares the variables of two environments, one entry per key in either, in key order.
   * Secret values are never returned (a secret side reads `***`).
   */
  compareVariables(project: string, left: string, right: string): Promise<VariableDiff[]>
  /**
   * Attaches a build artifact to a catalog version; the same artifact again resolves with the
   * existing one, a different one under the same name is a `CONFLICT`. Audited as
   * `artifact.attached`.
   */
  attachArtifact(project: string, spec: ArtifactSpec, actor: Actor): Promise<Artifact>
  /**
   * The artifacts of one version, or (no `versionTag`) of every catalog version of the
   * entity; oldest first.
   */
  listArtifacts(project: string, entityType: string, entityId: string, versionTag?: string | null): Promise<Artifact[]>
  /**
   * The artifacts that may be pruned now under the environments' `artifact_retention`,
   * oldest first.
   */
  prunableArtifacts(project: string): Promise<Artifact[]>
  /**
   * Deletes artifact records (the host deletes the files), all or nothing: an id that is not
   * prunable now is a `POLICY_VIOLATION`. Requires `admin` or `tenant_admin` and a reason;
   * each is audited as `artifact.pruned`. Resolves with the pruned artifacts.
   */
  pruneArtifacts(project: string, ids: string[], actor: Actor, reason: string): Promise<Artifact[]>
  /**
   * Records an error that happened in a deployment, under its environment; audited as
   * `deployment_error.recorded`.
   */
  recordDeploymentError(project: string, spec: ErrorSpec, actor: Actor): Promise<DeploymentErrorRecord>
  /**
   * Resolves a recorded error with notes (required); an error already resolved is a
   * `CONFLICT`. Audited as `deployment_error.resolved`.
   */
  resolveDeploymentError(project: string, errorId: string, actor: Actor, notes: string): Promise<DeploymentErrorRecord>
  /** Recorded deployment errors matching `filter`, oldest first. */
  listDeploymentErrors(project: string, filter?: ErrorFilter | null): Promise<DeploymentErrorRecord[]>
  /**
   * Every deployment requested in `[from, to)` (ISO-8601 strings) to one environment or,
   * without `environment`, to every environment whose policy has approval rules: items,
   * requester, approvers, executor, break-glass, rollbacks, refusals and failures.
   */
  complianceReport(project: string, from: string, to: string, environment?: string | null): Promise<ComplianceReport>
  /**
   * `complianceReport` as RFC 4180 CSV (the core's `ComplianceReport::to_csv`): a header row,
   * then one row per deployment, CRLF line ends.
   */
  complianceReportCsv(project: string, from: string, to: string, environment?: string | null): Promise<string>
  /**
   * Delivery figures of one environment for the deployments requested in `[from, to)`
   * (ISO-8601 strings): finished, succeeded, failed, rolled back, success and change failure
   * rates, mean times to deploy and to roll back.
   */
  environmentMetrics(project: string, environment: string, from: string, to: string): Promise<EnvironmentMetrics>
}

/** A clock for `new Engine(database, { clock })`; copies of an engine's clock share one time. */
export declare class ManualClock {
  /** A clock stopped at `start` (an ISO-8601 time). */
  constructor(start: string)
  /** Sets the time (an ISO-8601 time). */
  set(time: string): void
  /** Moves the time forward by `seconds` (fractions allowed; negative moves it back). */
  advance(seconds: number): void
  /** The current time, as an ISO-8601 string. */
  now(): string
}
