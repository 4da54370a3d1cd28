import type { Sandbox } from '@workspace-manager/protocol'
import type { SandboxRecord } from '../store/index.js'
import { ApiError } from '../errors.js'
import { ConfigError, parseCpu, parseMemory } from '../config/parse.js'

/**
 * A sandbox row as clients see it (the agent token never leaves the server).
 * `lastActivityAt` comes from the activity tracker (kept in memory); without
 * it, the creation time.
 */
export function sandboxToWire(record: SandboxRecord, lastActivityAt?: string): Sandbox {
  return {
    id: record.id,
    workspace_id: record.workspaceId,
    template: record.template,
    state: record.state,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    name: record.name,
    env: record.env,
    metadata: record.metadata,
    timeout: record.timeout,
    error_message: record.errorMessage,
    cpu: record.nanoCpus / 1e9,
    memory: record.memoryBytes,
    network_mode: record.networkMode,
    application_kind: record.applicationKind,
    expires_at: record.expiresAt,
    last_activity_at: lastActivityAt ?? record.createdAt,
  }
}

/** Reads a request's `cpu` (cores as a number, or "1c"/"500m") into NanoCpus. */
export function requestedNanoCpus(
  value: string | number | null | undefined,
  fallback: number,
): number {
  if (value === null || value === undefined) return fallback
  return asValidation(() => parseCpu('cpu', String(value)))
}

/** Reads a request's `memory` (bytes, or "512m"/"2g") into bytes. */
export function requestedMemory(
  value: string | number | null | undefined,
  fallback: number,
): number {
  if (value === null || value === undefined) return fallback
  return asValidation(() => parseMemory('memory', String(value)))
}

function asValidation<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof ConfigError) throw new ApiError('VALIDATION', error.message)
    throw error
  }
}
