import type Docker from 'dockerode'
import { LABELS, type SandboxSpec } from '../types.js'
import { proxyEnv } from '../../egress/ports.js'

/**
 * Capabilities kept after `--cap-drop ALL`: what package managers and
 * ordinary tools running as root need (chown, setuid to drop privileges,
 * bypass file modes for root, signal their own processes). No NET_RAW, no
 * SYS_ADMIN, no MKNOD.
 */
export const KEPT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
] as const

/** Where the agent's pieces appear inside the container. */
export const AGENT_PATHS = {
  binary: '/opt/wm/wm-agent',
  runDir: '/run/wm',
  socket: '/run/wm/agent.sock',
} as const

/** Where a kind's tools volume (WORKSPACE_TOOLS_VOLUME) appears, read-only. */
export const TOOLS_PATH = '/opt/tools'

/**
 * The engine's container configuration for a sandbox. Everything that
 * matters for isolation is decided here and nowhere else: API callers can
 * choose image, env, limits and network mode, never binds, privileges or
 * host namespaces.
 */
export function containerConfig(
  spec: SandboxSpec,
  extra: {
    instanceLabel: [string, string]
    ociRuntime: string | undefined
    /** The image's own command, run by the agent beside its API (`runImageCommand`). */
    imageCommand?: string[]
    /** The gateway's network, for a sandbox behind it (`spec.egress`). */
    egress?: { name: string; gateway: string }
    /** The storage driver's size limit of the root filesystem, image included where it counts it. */
    storageBytes?: number
  },
): Docker.ContainerCreateOptions {
  const { egress } = extra
  // Behind the gateway every tool finds the way out through it: DNS, and the proxy variables.
  const gatewayEnv = egress ? proxyEnv(egress.gateway) : {}
  const env = Object.entries({ ...gatewayEnv, ...spec.env }).map(
    ([key, value]) => `${key}=${value}`,
  )
  env.push(`WM_AGENT_TOKEN=${spec.agentToken}`, `WM_SANDBOX_ID=${spec.sandboxId}`)
  return {
    name: spec.containerName,
    Image: spec.image,
    Entrypoint: [AGENT_PATHS.binary],
    Cmd: [
      '--socket',
      AGENT_PATHS.socket,
      '--workdir',
      spec.containerWorkspaceDir,
      ...(extra.imageCommand?.length ? ['--', ...extra.imageCommand] : []),
    ],
    Env: env,
    WorkingDir: spec.containerWorkspaceDir,
    Hostname: spec.sandboxId.replace(/_/g, '-').slice(0, 63),
    Labels: {
      ...spec.labels,
      [LABELS.managed]: '1',
      [LABELS.sandbox]: spec.sandboxId,
      [LABELS.workspace]: spec.workspaceId,
      [extra.instanceLabel[0]]: extra.instanceLabel[1],
    },
    NetworkDisabled: !egress && spec.networkMode === 'none',
    HostConfig: {
      Binds: [
        `${spec.workspaceHostDir}:${spec.containerWorkspaceDir}:rw${spec.workspacePropagation ? `,${spec.workspacePropagation}` : ''}`,
        `${spec.agentBinaryHostPath}:${AGENT_PATHS.binary}:ro`,
        `${spec.runHostDir}:${AGENT_PATHS.runDir}:rw`,
      ],
      ...(spec.toolsVolume
        ? {
            Mounts: [
              { Type: 'volume', Source: spec.toolsVolume, Target: TOOLS_PATH, ReadOnly: true },
            ],
          }
        : {}),
      // The gateway's network is internal (no route out) and isolates sandboxes from each other.
      NetworkMode: egress ? egress.name : spec.networkMode,
      ...(egress
        ? { Dns: [egress.gateway], Sysctls: { 'net.ipv6.conf.all.disable_ipv6': '1' } }
        : {}),
      CapDrop: ['ALL'],
      CapAdd: [...KEPT_CAPABILITIES],
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
      PidsLimit: spec.pidsLimit,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: spec.nanoCpus,
      IpcMode: 'private',
      ...(extra.storageBytes !== undefined
        ? { StorageOpt: { size: String(extra.storageBytes) } }
        : {}),
      ...(extra.ociRuntime ? { Runtime: extra.ociRuntime } : {}),
    },
  }
}
