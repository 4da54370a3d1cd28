import type { FastifyBaseLogger } from 'fastify'
import type { CreateSandboxBody } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { Config } from '../config/index.js'
import type { HostResources } from '../runtime/types.js'

type Requested = string | number | null | undefined

/** A size in bytes as "<n>g"/"<n>m", the way `memory` strings are written. */
export function humanBytes(bytes: number): string {
  const [unit, size] = bytes >= 1024 ** 3 ? ['g', 1024 ** 3] : ['m', 1024 ** 2]
  return `${Math.round((bytes / size) * 10) / 10}${unit}`
}

const cpus = (nanoCpus: number) => `${nanoCpus / 1e9} CPU${nanoCpus === 1e9 ? '' : 's'}`

/**
 * How a limit is named in a message: the request's field with its value as
 * given (and what it amounts to when written as a string), or the server's
 * variable when the request left the field out.
 */
function named(field: string, variable: string, given: Requested, amount: string): string {
  if (given === null || given === undefined) return `${variable} (${amount})`
  return typeof given === 'number' ? `${field} ${given}` : `${field} "${given}" (${amount})`
}

/** What to do about a default the host cannot give. */
function remedy(field: string, variable: string, given: Requested): string {
  if (given !== null && given !== undefined) return ''
  return `: ask for less with "${field}", or lower ${variable}`
}

/**
 * Refuses (400 code 1001) a sandbox asking for more CPUs or memory than the
 * host has, naming the most it can have; the engine would refuse the CPUs
 * with an error of its own, and memory beyond the host's is no limit at all.
 * A server default (WORKSPACE_DEFAULT_CPU/MEM) too large for the host is
 * named as such: it is refused rather than shrunk, so an operator's setting
 * never silently means something else; a request naming its own limits
 * still works.
 */
export function checkFitsHost(
  limits: { nanoCpus: number; memoryBytes: number },
  body: Pick<CreateSandboxBody, 'cpu' | 'memory'>,
  host: HostResources,
): void {
  if (limits.nanoCpus > host.cpus * 1e9) {
    const what = named('cpu', 'WORKSPACE_DEFAULT_CPU', body.cpu, cpus(limits.nanoCpus))
    throw new ApiError(
      'VALIDATION',
      `${what} exceeds the host's ${host.cpus} CPUs${remedy('cpu', 'WORKSPACE_DEFAULT_CPU', body.cpu)}`,
      { cpu: limits.nanoCpus / 1e9, max_cpu: host.cpus },
    )
  }
  if (limits.memoryBytes > host.memoryBytes) {
    const amount = `${limits.memoryBytes} bytes`
    const what = named('memory', 'WORKSPACE_DEFAULT_MEM', body.memory, amount)
    throw new ApiError(
      'VALIDATION',
      `${what} exceeds the host's total memory of ${host.memoryBytes} bytes (${humanBytes(host.memoryBytes)})${remedy('memory', 'WORKSPACE_DEFAULT_MEM', body.memory)}`,
      { memory: limits.memoryBytes, max_memory: host.memoryBytes },
    )
  }
}

/**
 * Warns at start-up when WORKSPACE_DEFAULT_CPU or WORKSPACE_DEFAULT_MEM is
 * more than the host has, so the operator learns of it before a create is
 * refused for it. Never throws: an engine that does not answer yet is
 * reported elsewhere.
 */
export async function warnOfDefaultsBeyondHost(
  defaults: Config['sandboxDefaults'],
  host: () => Promise<HostResources>,
  log: FastifyBaseLogger,
): Promise<void> {
  try {
    checkFitsHost(defaults, {}, await host())
  } catch (error) {
    if (error instanceof ApiError) {
      log.warn(`sandboxes that do not name their own limits will be refused: ${error.message}`)
    }
  }
}
