import type { Sandbox } from '@workspace-manager/protocol'
import type { SandboxRecord } from '../store/index.js'
import { ApiError } from '../errors.js'
import { ConfigError, parseCpu, parseDiskSize, parseMemory } from '../config/parse.js'

/** Env names whose values are secrets: shown masked in replies, never echoed back. */
const SECRET_ENV_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i

/** What a secret env value reads as in replies. */
export const MASKED_ENV_VALUE = '[redacted]'

/**
 * The env of a sandbox as replies show it: values of secret-looking names
 * (SPLUNK_PASSWORD, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, ...) are masked, so
 * anyone who can list sandboxes cannot read the credentials they were given.
 * The sandbox itself gets the real values.
 */
export function maskSecretEnv(env: Record<string, string> | null): Record<string, string> | null {
  if (env === null) return null
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      SECRET_ENV_NAME.test(name) ? MASKED_ENV_VALUE : value,
    ]),
  )
}

/**
 * A sandbox row as clients see it (the agent token never leaves the server;
 * secret-looking env values are masked, see maskSecretEnv).
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
    env: maskSecretEnv(record.env),
    metadata: record.metadata,
    timeout: record.timeout,
    error_message: record.errorMessage,
    cpu: record.nanoCpus / 1e9,
    memory: record.memoryBytes,
    disk_bytes: record.diskBytes,
    network_mode: record.networkMode,
    application_kind: record.applicationKind,
    expires_at: record.expiresAt,
    last_activity_at: lastActivityAt ?? record.createdAt,
    desired_state: record.desiredState,
    on_idle: record.onIdle,
    on_timeout: record.onTimeout,
    auto_resume: record.autoResume,
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

/** Reads a request's `disk_bytes` (bytes, or "512m"/"2GiB") into bytes; `fallback` when absent. */
export function requestedDiskBytes(
  value: string | number | null | undefined,
  fallback: number | null,
): number | null {
  if (value === null || value === undefined) return fallback
  return asValidation(() => parseDiskSize('disk_bytes', String(value)))
}

function asValidation<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    if (error instanceof ConfigError) throw new ApiError('VALIDATION', error.message)
    throw error
  }
}
