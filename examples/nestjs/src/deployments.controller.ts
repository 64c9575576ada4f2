// The JAPM deployment API. Every handler is one engine call; errors go to the exception filter.
// Responses are deploygov's JSON (snake_case members, ISO-8601 timestamps).

import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Put, Query } from '@nestjs/common'
import type { ActiveEntry, Actor, Deployment, Engine, FreezeWindow, Page } from 'deploygov'
import { CurrentActor } from './actor.decorator'
import { type DeploygovModuleOptions, InjectDeploygovOptions, InjectEngine } from './deploygov.module'
import {
  type ApproveBody,
  type CreateDeploymentBody,
  type DeployBody,
  type FreezeBody,
  type PromoteBody,
  type ResumeBody,
  type RollbackBody,
  toDecision,
  toFilter,
  toFreeze,
  toRequest,
} from './japm'

@Controller('api/projects/:projectId')
export class DeploymentsController {
  constructor(
    @InjectEngine() private readonly engine: Engine,
    @InjectDeploygovOptions() private readonly options: DeploygovModuleOptions,
  ) {}

  /** Requests a deployment (201, `pending`, or `approved` where no approval is needed). */
  @Post('deployments')
  create(@Param('projectId') projectId: string, @Body() body: CreateDeploymentBody, @CurrentActor() actor: Actor): Promise<Deployment> {
    return this.engine.requestDeployment(projectId, toRequest(body), actor)
  }

  /** Lists deployments, newest first: `?environmentId=production&status=DEPLOYED&limit=50&cursor=...`. */
  @Get('deployments')
  list(
    @Param('projectId') projectId: string,
    @Query('environmentId') environmentId?: string,
    @Query('status') status?: string,
    @Query('cursor') cursor?: string,
    @Query('limit') limit?: string,
  ): Promise<Page<Deployment>> {
    return this.engine.listDeployments(projectId, toFilter(environmentId, status, cursor, limit))
  }

  @Get('deployments/:deploymentId')
  get(@Param('projectId') projectId: string, @Param('deploymentId') deploymentId: string): Promise<Deployment> {
    return this.engine.getDeployment(projectId, deploymentId)
  }

  /** Approves (4-eyes: the requester gets 403 `SELF_APPROVAL`). */
  @Put('deployments/:deploymentId/approve')
  approve(
    @Param('projectId') projectId: string,
    @Param('deploymentId') deploymentId: string,
    @CurrentActor() actor: Actor,
    @Body() body?: ApproveBody,
  ): Promise<Deployment> {
    const options = { comment: body?.comment ?? null, rule: body?.rule ?? null, freeze_override_reason: body?.freezeOverrideReason ?? null }
    return this.engine.approve(projectId, deploymentId, actor, options)
  }

  /**
   * Executes an approved deployment: 200 with `deployed`, or `failed` with per-item errors
   * (`paused` where the policy says `on_failure: pause`; see resume). In a freeze window: 422
   * `environment_frozen` unless a freeze override role gives `freezeOverrideReason`.
   */
  @Post('deployments/:deploymentId/deploy')
  @HttpCode(200)
  deploy(
    @Param('projectId') projectId: string,
    @Param('deploymentId') deploymentId: string,
    @CurrentActor() actor: Actor,
    @Body() body?: DeployBody,
  ): Promise<Deployment> {
    const options = { break_glass_reason: body?.breakGlassReason ?? null, freeze_override_reason: body?.freezeOverrideReason ?? null }
    return this.engine.execute(projectId, deploymentId, actor, options, this.options.executor ?? null)
  }

  /** Decides on a `paused` deployment: `RETRY` the failed item, `SKIP` it or `ABORT`; 200 with the deployment. */
  @Post('deployments/:deploymentId/resume')
  @HttpCode(200)
  resume(
    @Param('projectId') projectId: string,
    @Param('deploymentId') deploymentId: string,
    @CurrentActor() actor: Actor,
    @Body() body?: ResumeBody,
  ): Promise<Deployment> {
    return this.engine.resume(projectId, deploymentId, actor, toDecision(body?.decision), body?.reason ?? null, this.options.executor ?? null)
  }

  /** Rolls a live deployment back: 201 with the new rollback deployment. */
  @Post('deployments/:deploymentId/rollback')
  rollback(
    @Param('projectId') projectId: string,
    @Param('deploymentId') deploymentId: string,
    @CurrentActor() actor: Actor,
    @Body() body?: RollbackBody,
  ): Promise<Deployment> {
    const options = { target: body?.rollbackToDeploymentId ?? null, reason: body?.reason ?? '' }
    return this.engine.rollback(projectId, deploymentId, actor, options, this.options.executor ?? null)
  }

  /**
   * Promotes a deployment that went live to another environment: 201 with the new `promotion`
   * deployment, which goes through the target's own approvals (and its `requires_success_in`).
   */
  @Post('deployments/:deploymentId/promote')
  promote(
    @Param('projectId') projectId: string,
    @Param('deploymentId') deploymentId: string,
    @CurrentActor() actor: Actor,
    @Body() body?: PromoteBody,
  ): Promise<Deployment> {
    return this.engine.promote(projectId, deploymentId, body?.targetEnvironmentId as string, actor)
  }

  /** Creates a one-off freeze window (admins): 201 with the window. */
  @Post('freezes')
  freeze(@Param('projectId') projectId: string, @Body() body: FreezeBody, @CurrentActor() actor: Actor): Promise<FreezeWindow> {
    return this.engine.addFreeze(projectId, toFreeze(body), actor)
  }

  /** Everything live in an environment. */
  @Get('environments/:environment/active')
  active(@Param('projectId') projectId: string, @Param('environment') environment: string): Promise<ActiveEntry[]> {
    return this.engine.activeState(projectId, environment)
  }

  /** The hot path: the live version of one entity, read synchronously (404 when nothing is live). */
  @Get('environments/:environment/active/:entityType/:entityId')
  activeVersion(
    @Param('projectId') projectId: string,
    @Param('environment') environment: string,
    @Param('entityType') entityType: string,
    @Param('entityId') entityId: string,
  ): ActiveEntry {
    const live = this.engine.activeVersionSync(projectId, environment, entityType.toLowerCase(), entityId)
    if (!live) {
      throw new NotFoundException({ statusCode: 404, code: 'NOT_FOUND', message: `nothing of \`${entityType}\` \`${entityId}\` is live in \`${environment}\`` })
    }
    return live
  }
}
