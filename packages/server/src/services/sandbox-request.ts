import { randomBytes } from 'node:crypto'
import type { CreateSandboxBody } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { imageReferenceProblem, quoted } from '../image-reference.js'
import type { Config } from '../config/index.js'
import type { SandboxRecord } from '../store/index.js'
import { requestedDiskBytes, requestedMemory, requestedNanoCpus } from './sandbox-wire.js'
import { requestedNetwork } from './sandbox-network.js'
import { checkedSecrets, sandboxSecrets, withPlaceholders } from './sandbox-secrets.js'
import type { CertificateAuthority } from '../egress/certificates.js'

/** What a create request is resolved against besides its body. */
export interface SandboxRequestContext {
  defaults: Config['sandboxDefaults']
  /** The template chosen: the request's, its kind's, or the default. */
  template: string
  /** Where `template` came from, as messages name it: `template`, a kind's, or WORKSPACE_DEFAULT_IMAGE. */
  templateSource: string
  applicationKind: string | null
  /** The engine gives sandboxes no network at all (runtime capability). */
  networkless: boolean
  /** Allow entries may name hosts (false on Kubernetes); true when absent. */
  hostRules?: boolean
  /**
   * Why the engine cannot limit a sandbox's root filesystem (naming its storage driver), when it
   * is known that it cannot: a create asking for `disk_bytes` is refused with it.
   */
  diskLimitRefusal?: string | undefined
  /** WORKSPACE_IDLE_ACTION: on_idle's and on_timeout's default. */
  idleAction: SandboxRecord['onIdle']
  /** The egress gateway can fill in secrets for this engine's sandboxes. */
  secretsGateway: boolean
  /** The new sandbox's CA, made beforehand when the request has secrets (see newSandboxCa). */
  secretsCa?: CertificateAuthority | undefined
}

/**
 * The row of a new sandbox (state `starting`, a fresh id and agent token)
 * for a create request; 400 code 1001 for a template that is no image
 * reference, limits or a network it cannot have.
 */
export function newSandboxRecord(
  body: CreateSandboxBody,
  context: SandboxRequestContext,
): SandboxRecord {
  const { defaults } = context
  checkTemplate(context.template, context.templateSource)
  const nanoCpus = requestedNanoCpus(body.cpu, defaults.nanoCpus)
  const memoryBytes = requestedMemory(body.memory, defaults.memoryBytes)
  const diskBytes = requestedDiskBytes(body.disk_bytes, defaults.diskBytes)
  if (diskBytes !== null && context.diskLimitRefusal) {
    throw new ApiError('VALIDATION', `disk_bytes cannot be honoured: ${context.diskLimitRefusal}`, {
      disk_bytes: diskBytes,
    })
  }
  const { networkMode, networkAllow } = requestedNetwork(body, defaults.networkMode, {
    networkless: context.networkless,
    hostRules: context.hostRules ?? true,
  })
  const secrets = checkedSecrets(body.secrets, body.env, context.secretsGateway)
  const now = new Date()
  const onIdle = body.on_idle ?? context.idleAction
  const onTimeout = body.on_timeout ?? context.idleAction
  return {
    id: `sb_${randomBytes(10).toString('hex')}`,
    workspaceId: body.workspace_id,
    name: body.name ?? null,
    template: context.template,
    state: 'starting',
    env: withPlaceholders(body.env ?? null, secrets),
    metadata: body.metadata ?? null,
    timeout: body.timeout ?? null,
    nanoCpus,
    memoryBytes,
    diskBytes,
    networkMode,
    networkAllow,
    egressSecrets: sandboxSecrets(secrets, context.secretsCa),
    applicationKind: context.applicationKind,
    errorMessage: null,
    agentToken: randomBytes(32).toString('hex'),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: body.timeout ? new Date(now.getTime() + body.timeout * 1000).toISOString() : null,
    desiredState: 'running',
    operation: 'create',
    onIdle,
    onTimeout,
    // A sandbox that is put to sleep rather than deleted wakes when used, unless told otherwise.
    autoResume: body.auto_resume ?? (onIdle !== 'delete' || onTimeout !== 'delete'),
    image: null,
  }
}

/**
 * Refuses (400 code 1001) a template the engine could not parse, before any
 * engine call: the engine's client would fail on some (control characters,
 * non-ASCII) with an error that says nothing of the template.
 */
function checkTemplate(template: string, source: string): void {
  const problem = imageReferenceProblem(template)
  if (!problem) return
  throw new ApiError(
    'VALIDATION',
    `${source} ${quoted(template)} is not a valid image reference: ${problem}`,
    { template },
  )
}

/** How messages name where a create's template came from. */
export function templateSource(
  requested: string | null | undefined,
  kindTemplate: string | null | undefined,
  kind: string | null,
): string {
  if (requested !== null && requested !== undefined) return 'template'
  if (kindTemplate) return `the template of application kind "${kind}"`
  return 'WORKSPACE_DEFAULT_IMAGE'
}
