// Maps deploygov's error kinds to HTTP status codes; the body carries the error code and, for
// validation failures, every finding: `{ statusCode, code, message, findings? }`.

import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common'
import type { Response } from 'express'
import type { DeploygovError, ErrorCode } from 'deploygov'

export const STATUS_OF: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  FORBIDDEN: 403,
  SELF_APPROVAL: 403,
  POLICY_VIOLATION: 409,
  VALIDATION_FAILED: 422,
  CONFLICT: 409,
  INVALID_INPUT: 400,
  STORAGE: 503,
  AUDIT_CORRUPT: 500,
  INTERNAL: 500,
}

function isDeploygovError(e: unknown): e is DeploygovError {
  const code: unknown = e instanceof Error ? (e as { code?: unknown }).code : undefined
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(STATUS_OF, code)
}

@Catch()
export class DeploygovExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('deploygov')

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>()
    if (exception instanceof HttpException) {
      const body = exception.getResponse()
      response.status(exception.getStatus()).json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body)
      return
    }
    if (isDeploygovError(exception)) {
      const statusCode = STATUS_OF[exception.code]
      if (statusCode >= 500) this.logger.error(exception.message)
      const body: Record<string, unknown> = { statusCode, code: exception.code, message: exception.message }
      if (exception.findings) body.findings = exception.findings
      response.status(statusCode).json(body)
      return
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception))
    response.status(500).json({ statusCode: 500, code: 'INTERNAL', message: 'internal error' })
  }
}
