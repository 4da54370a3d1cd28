import type { FastifyError, FastifyInstance } from 'fastify'
import { ErrorCodes, type ErrorKey } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { RuntimeError } from '../runtime/errors.js'
import { apiErrorFromRuntime } from './runtime-errors.js'

const KEY_FOR_STATUS: Record<number, ErrorKey> = {
  400: 'VALIDATION',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'VALIDATION',
  429: 'RATE_LIMITED',
}

/**
 * Turns anything thrown into the error envelope with the table's status;
 * a runtime's failure gets its code here and nowhere else (`apiErrorFromRuntime`).
 */
export function toApiError(error: FastifyError | Error): ApiError {
  if (error instanceof ApiError) return error
  if (error instanceof RuntimeError) return apiErrorFromRuntime(error)
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    return new ApiError('VALIDATION', `invalid request: ${error.message}`, {
      issues: fastifyError.validation.map((issue) => ({
        path: `${fastifyError.validationContext ?? ''}${issue.instancePath}`,
        message: issue.message,
      })),
    })
  }
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    const key = KEY_FOR_STATUS[status] ?? 'VALIDATION'
    return new ApiError(key, error.message)
  }
  return new ApiError('INTERNAL', 'internal server error')
}

/**
 * Every 4xx/5xx leaves through here, including Fastify's own validation,
 * body-parsing and not-found errors, so clients only ever see the envelope.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error)
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: apiError.code, message: apiError.message }, 'request refused')
    void reply.status(apiError.status).send(apiError.toEnvelope())
  })
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError(
      'NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    )
    void reply.status(ErrorCodes.NOT_FOUND.status).send(error.toEnvelope())
  })
}
