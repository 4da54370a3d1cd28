import type { CreateSandboxBody } from '@workspace-manager/protocol'
import type { SandboxRecord } from '../../store/index.js'

/** What a pooled sandbox was made with, and a create must ask for to be handed it. */
export type PoolKeyParts = Pick<
  SandboxRecord,
  'template' | 'nanoCpus' | 'memoryBytes' | 'diskBytes' | 'networkMode' | 'applicationKind'
>

/** The key pooled sandboxes are kept and matched under. */
export function poolKey(parts: PoolKeyParts): string {
  return JSON.stringify([
    parts.template,
    parts.nanoCpus,
    parts.memoryBytes,
    parts.diskBytes,
    parts.networkMode,
    parts.applicationKind,
  ])
}

/**
 * Create fields a claimed sandbox honours: ones kept on its row (or given
 * per process, env) and ones its key already matched. A create with any
 * other field (a network policy, say, or one added later) gets a sandbox
 * made for it, never a pooled one that might ignore it.
 */
const CLAIMABLE_FIELDS = new Set([
  'workspace_id',
  'template',
  'name',
  'env',
  'metadata',
  'timeout',
  'cpu',
  'memory',
  'disk_bytes',
  'network_mode',
  'application_kind',
  'on_idle',
  'on_timeout',
  'auto_resume',
])

/** The pool key a create may be served under, or undefined when only a new sandbox will do. */
export function claimKey(body: CreateSandboxBody, record: SandboxRecord): string | undefined {
  const fields = Object.entries(body).filter(([, value]) => value !== undefined && value !== null)
  if (fields.some(([field]) => !CLAIMABLE_FIELDS.has(field))) return undefined
  if (record.networkMode !== 'none' || record.applicationKind !== null) return undefined
  return poolKey(record)
}
