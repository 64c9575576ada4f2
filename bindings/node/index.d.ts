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
   * after a thrown error or rejected promise.
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
