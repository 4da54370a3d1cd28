import type Docker from 'dockerode'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Whether the engine keeps containers running while it restarts itself
 * (`"live-restore": true` in daemon.json), as `docker info` reports it.
 * Without it an engine upgrade or crash stops every sandbox, and their
 * processes are lost; the server works either way, so this only warns.
 * `false` too when the engine does not say (an engine other than Docker's).
 */
export async function probeLiveRestore(docker: Docker, log: FastifyBaseLogger): Promise<boolean> {
  const info = (await docker.info()) as { LiveRestoreEnabled?: unknown }
  if (info.LiveRestoreEnabled === true) return true
  log.warn(
    { liveRestore: info.LiveRestoreEnabled ?? null },
    info.LiveRestoreEnabled === false
      ? 'the Docker engine runs without live-restore: restarting it stops every sandbox; set "live-restore": true in its daemon.json (scripts/ensure-docker.sh does) and send dockerd SIGHUP'
      : 'the Docker engine does not say whether it has live-restore: restarting it may stop every sandbox',
  )
  return false
}
