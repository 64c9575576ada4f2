// The JAPM REST shapes (camelCase members, UPPER_CASE enum values) and their translation to the
// core's JSON (snake_case members and values). Only renaming happens here: the engine checks
// every value, so a missing or unknown one comes back as a 400 with code INVALID_INPUT.

import type { DeploymentFilter, DeploymentRequest, DeploymentStatus, FreezeSpec, ItemSpec, ResumeDecision, RiskLevel } from 'deploygov'

export interface JapmItem {
  entityType: string
  entityId: string
  versionTag: string
  changeMessage?: string
  riskLevel?: string
}

export interface CreateDeploymentBody {
  name: string
  description?: string
  environmentId: string
  items: JapmItem[]
  /** A retried request with the same key returns the first deployment. */
  idempotencyKey?: string
  /** ISO-8601: not to be deployed before this time (deploy answers 422 `not_yet_due` until then). */
  scheduledFor?: string
  /** ISO-8601, after `scheduledFor`: cancelled by the sweep when not deployed by then. */
  expiresAt?: string
}

export interface ApproveBody {
  comment?: string
  rule?: string
  /** Approve although a freeze window is open (needs a freeze override role; audited). */
  freezeOverrideReason?: string
}

export interface DeployBody {
  /** Break-glass: deploy without the approvals (needs a break-glass role; audited). */
  breakGlassReason?: string
  /** Deploy although a freeze window is open (needs a freeze override role; audited). */
  freezeOverrideReason?: string
}

export interface FreezeBody {
  /** The environment to freeze; left out: every environment of the project. */
  environmentId?: string
  name: string
  /** ISO-8601 start (inclusive) and end (exclusive) of a one-off window. */
  startsAt: string
  endsAt: string
}

export interface ResumeBody {
  /** `RETRY` the failed item, `SKIP` it, or `ABORT` (revert and fail). */
  decision: string
  /** Required to skip or abort. */
  reason?: string
}

export interface PromoteBody {
  /** The environment to promote to (its name, like `environmentId`). */
  targetEnvironmentId: string
}

export interface RollbackBody {
  /** An earlier deployment of the same environment whose state to restore (default: what the deployment replaced). */
  rollbackToDeploymentId?: string
  /** Why; deploygov requires it. */
  reason?: string
}

/** `PROMPT_VERSION` to `prompt_version`; anything that is not a string is passed on for the engine to refuse. */
function lower<T>(v: unknown): T {
  return (typeof v === 'string' ? v.toLowerCase() : v) as T
}

export function toRequest(body: CreateDeploymentBody | undefined): DeploymentRequest {
  const items = Array.isArray(body?.items)
    ? body.items.map(
        (i): ItemSpec => ({
          entity_type: lower<string>(i?.entityType),
          entity_id: i?.entityId,
          version_tag: i?.versionTag,
          change_message: i?.changeMessage ?? null,
          ...(i?.riskLevel === undefined ? {} : { risk: lower<RiskLevel>(i.riskLevel) }),
        }),
      )
    : (body?.items as unknown as ItemSpec[])
  return {
    environment: body?.environmentId as string,
    name: body?.name as string,
    description: body?.description ?? null,
    items,
    idempotency_key: body?.idempotencyKey ?? null,
    scheduled_for: body?.scheduledFor ?? null,
    expires_at: body?.expiresAt ?? null,
  }
}

export function toFilter(environmentId?: string, status?: string, cursor?: string, limit?: string): DeploymentFilter {
  return {
    environment: environmentId ?? null,
    status: status === undefined ? null : lower<DeploymentStatus>(status),
    cursor: cursor ?? null,
    limit: limit === undefined ? null : Number(limit),
  }
}

export function toFreeze(body: FreezeBody | undefined): FreezeSpec {
  return {
    environment: body?.environmentId ?? null,
    name: body?.name as string,
    schedule: { type: 'one_off', start: body?.startsAt as string, end: body?.endsAt as string },
  }
}

export function toDecision(decision: unknown): ResumeDecision {
  return lower<ResumeDecision>(decision)
}
