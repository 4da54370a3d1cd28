import Docker from 'dockerode'

/** How to reach the engine, from DOCKER_HOST and DOCKER_CLIENT_TIMEOUT. */
export interface DockerConnectionOptions {
  host: string | null
  timeoutSeconds: number
}

/**
 * Makes the one dockerode client of the process. DOCKER_HOST takes
 * `unix:///path` or `tcp://host:port` (https when DOCKER_TLS_VERIFY is set,
 * as the docker CLI does); unset means the local socket.
 */
export function connectDocker({ host, timeoutSeconds }: DockerConnectionOptions): Docker {
  const timeout = timeoutSeconds * 1000
  if (!host) return new Docker({ socketPath: '/var/run/docker.sock', timeout })
  const url = new URL(host)
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname, timeout })
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:' || Boolean(process.env.DOCKER_TLS_VERIFY)
    return new Docker({
      host: url.hostname,
      port: Number(url.port || (tls ? 2376 : 2375)),
      protocol: tls ? 'https' : 'http',
      timeout,
    })
  }
  throw new Error(`DOCKER_HOST: unsupported scheme in "${host}"`)
}

/** The HTTP status dockerode attached to an engine error, if any. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode
  return typeof status === 'number' ? status : undefined
}

/**
 * Whether an error means the engine could not be reached at all. A file
 * error of this server's own (copying a checkpoint: ENOENT, EACCES with a
 * path and no connect) is not the engine being away.
 */
export function isUnreachable(error: unknown): boolean {
  const { code, syscall, path } = error as NodeJS.ErrnoException
  if (typeof path === 'string' && syscall !== 'connect') return false
  return (
    code === 'ECONNREFUSED' ||
    code === 'ENOENT' ||
    code === 'EACCES' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    (error as Error).message?.includes('timeout') === true
  )
}
