import type { FastifyRequest } from 'fastify'
import type { Config } from '../config/index.js'

/** What a Host header may hold: a name, IPv4 or bracketed IPv6 address, and an optional port. */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/

/** The request's Host header when it is well formed (it ends up in URLs handed back). */
export function requestHost(request: FastifyRequest, config: Config): string {
  const host = request.host
  if (HOST_HEADER.test(host)) return host
  return config.host.includes(':')
    ? `[${config.host}]:${config.port}`
    : `${config.host}:${config.port}`
}

/**
 * The base of URLs the server hands out: WORKSPACE_PUBLIC_BASE_URL when set,
 * else the origin the request came in on (`http(s)://<Host header>`).
 */
export function publicBase(request: FastifyRequest, config: Config): string {
  return config.publicBaseUrl ?? `${request.protocol}://${requestHost(request, config)}`
}
