import type Docker from 'dockerode'
import type { ContainerStatus } from '../types.js'

/** A sandbox's container as the engine's inspect reply describes it. */
export function toStatus(sandboxId: string, info: Docker.ContainerInspectInfo): ContainerStatus {
  return {
    sandboxId,
    containerId: info.Id,
    running: info.State.Running,
    exitCode: info.State.Running ? null : info.State.ExitCode,
    oomKilled: info.State.OOMKilled,
    error: info.State.Error || null,
  }
}

/**
 * Whether the engine found `reference` as a prefix of the image's id rather
 * than by name: it falls back to ids, so a template "00" would name any image
 * whose id starts so (another sandbox's checkpoint among them). Templates
 * name images; such a match counts as no image.
 */
export function foundByIdPrefix(
  reference: string,
  info: { Id: string; RepoTags?: string[] | null },
): boolean {
  const hex = reference.replace(/^sha256:/, '')
  if (!/^[a-f0-9]+$/.test(hex) || !info.Id.replace(/^sha256:/, '').startsWith(hex)) return false
  return !(info.RepoTags ?? []).includes(`${reference}:latest`)
}
