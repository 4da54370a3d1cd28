import type Docker from 'dockerode'
import { engineStatus } from './connection.js'
import { engineFailure } from './engine-errors.js'

/**
 * Label a committed image keeps the command (entrypoint + cmd) of the
 * template it descends from in, as JSON: the committed image's own command
 * would otherwise be the agent's.
 */
export const COMMAND_LABEL = 'wm.command'

function envKey(entry: string): string {
  const equals = entry.indexOf('=')
  return equals === -1 ? entry : entry.slice(0, equals)
}

/** The command an image runs by default: its label above, else its entrypoint and cmd. */
export async function imageCommand(docker: Docker, image: string): Promise<string[]> {
  const info = await docker.getImage(image).inspect()
  const saved = info.Config.Labels?.[COMMAND_LABEL]
  if (saved) return JSON.parse(saved) as string[]
  return [...asList(info.Config.Entrypoint), ...asList(info.Config.Cmd)]
}

function asList(value: string | string[] | null | undefined): string[] {
  if (!value) return []
  return Array.isArray(value) ? value : [value]
}

/** Creates the named volume unless it exists (creating an existing one is a no-op for the engine). */
export async function ensureVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).inspect()
  } catch (error) {
    if (engineStatus(error) !== 404) throw error
    await docker.createVolume({ Name: name, Labels: { 'wm.tools': '1' } })
  }
}

/**
 * `docker commit` of a container into `image` (`repo:tag`) with the
 * configuration of the template it was made from, so that the image carries
 * neither the agent as its command nor the values the server put in the
 * container's environment (agent token, credentials): those keys are kept
 * with empty values, and a container made from the image sets them again.
 */
export async function commitContainer(
  docker: Docker,
  containerName: string,
  image: string,
  labels: Record<string, string>,
): Promise<void> {
  const container = docker.getContainer(containerName)
  const info = await container.inspect()
  const base = await docker.getImage(info.Image).inspect()
  const baseEnv = new Map((base.Config.Env ?? []).map((entry) => [envKey(entry), entry]))
  const env = (info.Config.Env ?? []).map(
    (entry) => baseEnv.get(envKey(entry)) ?? `${envKey(entry)}=`,
  )
  const command = await imageCommand(docker, info.Image)
  const colon = image.lastIndexOf(':')
  await container.commit({
    _query: {
      container: info.Id,
      repo: image.slice(0, colon),
      tag: image.slice(colon + 1),
      pause: false,
      comment: 'Workspace Manager filesystem checkpoint',
    },
    _body: {
      Env: env,
      // Not the agent: the template's own entrypoint and cmd (kept in a label too, for
      // templates that have neither, where the engine would fill in the container's).
      Entrypoint: asList(base.Config.Entrypoint),
      Cmd: asList(base.Config.Cmd),
      WorkingDir: base.Config.WorkingDir ?? '',
      Labels: { ...labels, [COMMAND_LABEL]: JSON.stringify(command) },
    },
  })
}

/** Removes `image`; one already gone, or still used (409), is fine. */
export async function removeImage(docker: Docker, image: string): Promise<void> {
  try {
    // force: an image a running container uses is untagged and goes with that container.
    await docker.getImage(image).remove({ force: true })
  } catch (error) {
    const status = engineStatus(error)
    if (status !== 404 && status !== 409) {
      throw engineFailure(error, { action: `remove image ${image}` })
    }
  }
}

/**
 * The images labelled `key` and `instanceLabel` (`name=value` of the
 * server's instance), with the value of `key` and their creation time.
 */
export async function listInstanceImages(
  docker: Docker,
  key: string,
  instanceLabel: string,
): Promise<Array<{ id: string; value: string; createdAt: number }>> {
  try {
    const images = await docker.listImages({ filters: { label: [key, instanceLabel] } })
    return images.map((image) => ({
      id: image.Id,
      value: image.Labels?.[key] ?? '',
      // The engine says when in whole seconds since the epoch.
      createdAt: image.Created * 1000,
    }))
  } catch (error) {
    throw engineFailure(error, { action: 'list images' })
  }
}
