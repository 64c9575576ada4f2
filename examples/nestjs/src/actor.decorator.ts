// The actor of a request, from two headers. A STAND-IN FOR REAL AUTHENTICATION: anyone who can
// reach the API can claim any id and roles. A real service takes the actor from its verified
// session or token (a Passport guard, a JWT's subject and role claims) and keeps this shape.

import { createParamDecorator, type ExecutionContext, UnauthorizedException } from '@nestjs/common'
import type { Request } from 'express'
import type { Actor } from 'deploygov'

export const ACTOR_ID_HEADER = 'x-actor-id'
/** Comma-separated roles, e.g. `admin,lead`. */
export const ACTOR_ROLES_HEADER = 'x-actor-roles'

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<Request>()
  const id = request.header(ACTOR_ID_HEADER)?.trim()
  if (!id) {
    throw new UnauthorizedException({ statusCode: 401, code: 'UNAUTHENTICATED', message: `the \`${ACTOR_ID_HEADER}\` header is required` })
  }
  const roles = (request.header(ACTOR_ROLES_HEADER) ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0)
  return { id, roles }
})
