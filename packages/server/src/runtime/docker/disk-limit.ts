import { randomBytes } from 'node:crypto'
import type Docker from 'dockerode'
import { RuntimeError } from '../errors.js'
import type { RuntimeCapabilities, SandboxSpec } from '../types.js'
import { engineFailure } from './engine-errors.js'

/**
 * Whether the engine's storage driver can cap a container's root filesystem
 * (the `size` storage option), and how it counts it.
 */
export type DiskLimitSupport =
  | {
      supported: true
      driver: string
      /**
       * The limit counts the image's bytes too (btrfs limits the bytes a
       * container's subvolume refers to, its image's among them), so the
       * image's size is added to what the sandbox may write.
       */
      countsImage: boolean
    }
  | { supported: false; driver: string; reason: string }

interface EngineInfo {
  Driver?: string
  DriverStatus?: Array<[string, string]> | null
}

/** What the size option is tried with on a driver that can only sometimes honour it. */
const PROBE_SIZE_BYTES = 1024 ** 3

/**
 * Asks the engine which storage driver it runs: btrfs (with quotas on) and
 * zfs always honour the size option, overlay2 only on xfs mounted with
 * pquota, which `docker info` does not tell, so a container is created (never
 * started) with the option to find out. Any other driver cannot.
 */
export async function probeDiskLimit(docker: Docker): Promise<DiskLimitSupport> {
  const info = (await docker.info()) as EngineInfo
  const driver = info.Driver || 'unknown'
  if (driver === 'btrfs') return { supported: true, driver, countsImage: true }
  if (driver === 'zfs') return { supported: true, driver, countsImage: false }
  if (driver === 'overlay2') {
    const backing = info.DriverStatus?.find(([key]) => key === 'Backing Filesystem')?.[1]
    if (backing !== 'xfs') {
      return refused(
        driver,
        `it needs xfs mounted with pquota; its filesystem is ${backing ?? 'not said'}`,
      )
    }
    return tryCreate(docker, driver)
  }
  return refused(driver, 'it has no size limit for containers')
}

function refused(driver: string, why: string): DiskLimitSupport {
  return {
    supported: false,
    driver,
    reason: `the Docker engine's storage driver ${driver} cannot limit a sandbox's root filesystem (${why}); btrfs with quotas, zfs, or overlay2 on xfs with pquota can`,
  }
}

/** Creates (never starts) and removes a container with the size option, to see whether it is refused. */
async function tryCreate(docker: Docker, driver: string): Promise<DiskLimitSupport> {
  const [image] = await docker.listImages()
  if (!image) return refused(driver, 'it could not be tried: the engine has no image')
  let container: Docker.Container | undefined
  try {
    container = await docker.createContainer({
      name: `wm-disk-probe-${randomBytes(6).toString('hex')}`,
      Image: image.Id,
      // Never run: an entrypoint is only needed for the create to be accepted.
      Entrypoint: ['/nonexistent'],
      NetworkDisabled: true,
      HostConfig: { StorageOpt: { size: String(PROBE_SIZE_BYTES) } },
    })
    return { supported: true, driver, countsImage: false }
  } catch (error) {
    return refused(driver, (error as Error).message)
  } finally {
    await container?.remove({ force: true }).catch(() => undefined)
  }
}

/**
 * Root filesystem sizes on one engine: asks once what its storage driver can
 * do (again after an ask that failed), keeps `capabilities.diskLimit` and
 * `diskLimitRefusal` up to date, and gives a spec its size option.
 */
export class DiskLimits {
  readonly #docker: Docker
  readonly #capabilities: RuntimeCapabilities
  #support: DiskLimitSupport | null = null

  constructor(docker: Docker, capabilities: RuntimeCapabilities) {
    this.#docker = docker
    this.#capabilities = capabilities
  }

  /** What the storage driver can do; throws while the engine does not answer. */
  async probe(): Promise<DiskLimitSupport> {
    if (this.#support) return this.#support
    const support = await probeDiskLimit(this.#docker)
    this.#support = support
    this.#capabilities.diskLimit = support.supported
    if (!support.supported) this.#capabilities.diskLimitRefusal = support.reason
    return support
  }

  /**
   * The `size` storage option of the container of `spec`; undefined when
   * unlimited. A RuntimeError `invalid` (in the driver's name) when the
   * engine cannot limit it.
   */
  async storageBytes(spec: SandboxSpec, platform: string | null): Promise<number | undefined> {
    if (spec.diskBytes === null || spec.diskBytes === undefined) return undefined
    let support: DiskLimitSupport
    try {
      support = await this.probe()
      if (support.supported) {
        return await storageSize(this.#docker, support, spec.image, spec.diskBytes)
      }
    } catch (error) {
      throw engineFailure(error, {
        action: "size the container's root filesystem",
        missing: { image: spec.image, platform },
      })
    }
    throw new RuntimeError('invalid', support.reason, { image: spec.image })
  }
}

/**
 * The `size` storage option that lets a sandbox from `image` write
 * `diskBytes` to its root filesystem: on a driver that counts the image, the
 * image's size (as the engine reports it) is added.
 */
async function storageSize(
  docker: Docker,
  support: DiskLimitSupport & { supported: true },
  image: string,
  diskBytes: number,
): Promise<number> {
  if (!support.countsImage) return diskBytes
  const { Size } = await docker.getImage(image).inspect()
  return diskBytes + Size
}
