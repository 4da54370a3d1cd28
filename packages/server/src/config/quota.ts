import { QuotaLimits } from '@workspace-manager/protocol'
import { ConfigError, type Env, readString } from './parse.js'

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

/**
 * WM_WORKSPACE_QUOTA_BYTES: the disk quota of a workspace created without
 * one, as bytes or a size with a binary unit ("20MiB", "10g"); null
 * (unlimited) when unset. Between 1 MiB and 2^53 - 1 bytes, like a quota
 * given in a request.
 */
export function readWorkspaceQuota(env: Env): number | null {
  const name = 'WM_WORKSPACE_QUOTA_BYTES'
  const value = readString(env, name)
  if (value === undefined) return null
  const match = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(value)
  if (!match) {
    throw new ConfigError(
      name,
      `expected a byte count or a size like "20MiB" or "10g", got "${value}"`,
    )
  }
  const bytes = Number(match[1]) * (UNITS[match[2]!.toLowerCase()] ?? 1)
  if (!Number.isSafeInteger(bytes) || bytes < QuotaLimits.minBytes) {
    throw new ConfigError(
      name,
      `expected between ${QuotaLimits.minBytes} bytes (1 MiB) and ${QuotaLimits.maxBytes}, got "${value}"`,
    )
  }
  return bytes
}
