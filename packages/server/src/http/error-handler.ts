import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ErrorCodes, type ErrorKey } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { RuntimeError } from '../runtime/errors.js'
import { StoreUnavailableError } from '../store/index.js'
import { RouteMethods } from './method-not-allowed.js'
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
 * a runtime's failure gets its code here and nowhere else (`apiErrorFromRuntime`), and so does
 * a store whose database cannot be reached (503 code 1006).
 */
export function toApiError(error: FastifyError | Error): ApiError {
  if (error instanceof ApiError) return error
  if (error instanceof RuntimeError) return apiErrorFromRuntime(error)
  if (error instanceof StoreUnavailableError) {
    return new ApiError(
      'RUNTIME_UNAVAILABLE',
      'the database is not answering; try again once it is back',
    )
  }
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
 * A path no route has is 404 code 1007; a known path asked with a method
 * none of its routes declares is 405 code 1008 with `Allow`. Call before
 * any route is added: the methods are recorded as routes are.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  const routes = new RouteMethods()
  routes.register(app)
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error)
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: apiError.code, message: apiError.message }, 'request refused')
    void reply.status(apiError.status).send(apiError.toEnvelope())
  })
  // A known path with a method it does not declare: 405 with Allow. True when it answered.
  const refuseMethod = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const path = request.url.split('?')[0] ?? ''
    const allowed = routes.allowed(path)
    // A declared method lands here too when no route matched (e.g. a parameter over the router's length limit).
    if (!allowed.length || allowed.includes(request.method)) return false
    const error = new ApiError(
      'METHOD_NOT_ALLOWED',
      `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
      { allowed },
    )
    void reply.status(error.status).header('allow', allowed.join(', ')).send(error.toEnvelope())
    return true
  }
  // In onRequest, before the body is parsed: Fastify would otherwise refuse a bodiless QUERY with 400.
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404 && refuseMethod(request, reply)) return reply
  })
  app.setNotFoundHandler((request, reply) => {
    // An OPTIONS request that is no CORS preflight comes here from the preflight route.
    if (refuseMethod(request, reply)) return
    const error = new ApiError(
      'NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    )
    void reply.status(ErrorCodes.NOT_FOUND.status).send(error.toEnvelope())
  })
}
