import net from 'node:net'
import { Writable } from 'node:stream'
import type { KubeConfig } from '@kubernetes/client-node'
import type { FastifyBaseLogger } from 'fastify'
import { apiFailure } from './api-errors.js'
import { type Cluster, readPod } from './cluster.js'
import { type StreamEvents, forwardConnection, openForwardStream } from './port-forward-stream.js'

/** Where a forwarder listens: what `agentEndpoint` answers in `port-forward` mode. */
export interface LocalEndpoint {
  host: string
  port: number
}

/** What the forwarders of one runtime share. */
export interface PortForwardsOptions {
  kubeConfig: KubeConfig
  cluster: Cluster
  /** The pod port every connection goes to (the agent's). */
  port: number
  /** The name of a sandbox's pod. */
  podName(sandboxId: string): string
  log: FastifyBaseLogger
}

/** One sandbox's pod as a forwarder is made for it. */
interface PodRef {
  sandboxId: string
  name: string
  uid: string
}

const LOOPBACK = '127.0.0.1'

/**
 * A listener on 127.0.0.1 (an ephemeral port) for one pod: every accepted
 * connection becomes one port-forward stream to the pod's agent port through
 * the API server and the kubelet. It belongs to the pod, not to its name: a
 * connection is forwarded only while the sandbox's pod still has the uid the
 * forwarder was made for, and the first connection that finds another (or
 * none) closes it, so that a new pod of the same name is never reached
 * through it unnoticed.
 */
class PodForwarder {
  readonly pod: PodRef
  readonly #options: PortForwardsOptions
  readonly #server: net.Server
  readonly #sockets = new Set<net.Socket>()
  readonly #onClose: () => void
  #closed = false

  constructor(options: PortForwardsOptions, pod: PodRef, onClose: () => void) {
    this.#options = options
    this.pod = pod
    this.#onClose = onClose
    this.#server = net.createServer((socket) => void this.#accept(socket))
    // An accept that fails (out of descriptors) must not end the process: told, and the listener
    // goes on.
    this.#server.on('error', (error) =>
      options.log.warn({ sandboxId: pod.sandboxId, err: error }, 'port-forward listener'),
    )
    // Alone it must not keep a process alive (a runtime nobody closed); the server's own
    // listener does that.
    this.#server.unref()
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Listens on an ephemeral port of 127.0.0.1; resolves with it. */
  async listen(): Promise<LocalEndpoint> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(0, LOOPBACK, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    return this.endpoint()
  }

  endpoint(): LocalEndpoint {
    return { host: LOOPBACK, port: (this.#server.address() as net.AddressInfo).port }
  }

  /** Stops listening and ends every forwarded connection (each one's stream with it). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#server.close()
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    this.#onClose()
  }

  async #accept(socket: net.Socket): Promise<void> {
    if (this.#closed) return void socket.destroy()
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    // Errors are followed by close, which is what ends the stream.
    socket.on('error', () => undefined)
    socket.setNoDelay(true)
    const { sandboxId, name, uid } = this.pod
    const { kubeConfig, cluster, port, log } = this.#options
    const { namespace } = cluster
    try {
      // Asked before every connection: the name may belong to a new pod by now.
      const now = (await readPod(cluster, name, sandboxId))?.metadata?.uid
      if (now !== uid) {
        log.info({ sandboxId, pod: name, uid, now }, 'the pod of this forwarder is gone: closed')
        socket.destroy()
        this.close()
        return
      }
      if (this.#closed) return
      await forwardConnection(
        socket,
        (output: Writable, events: StreamEvents) =>
          openForwardStream(kubeConfig, namespace, name, port, output, events),
        (message) => log.debug({ sandboxId, pod: name }, `port-forward: ${message}`),
      )
    } catch (error) {
      socket.destroy()
      const failure = apiFailure(error, { action: forwardAction(sandboxId), sandboxId })
      log.warn({ sandboxId, pod: name, err: failure }, 'an agent connection was not forwarded')
    }
  }
}

function forwardAction(sandboxId: string): string {
  return `open a port-forward to the agent of sandbox ${sandboxId} (RBAC: pods/portforward create and get)`
}

/**
 * The runtime's forwarders in `port-forward` mode, one per sandbox whose
 * agent was asked for, keyed by the uid of the pod it was made for: a new
 * pod (after a stop and start, or a pod deleted and made again) gets a new
 * forwarder and the old one is closed.
 */
export class PortForwards {
  readonly #options: PortForwardsOptions
  readonly #bySandbox = new Map<string, { uid: string; ready: Promise<PodForwarder> }>()
  #closed = false

  constructor(options: PortForwardsOptions) {
    this.#options = options
  }

  /**
   * The local address of the forwarder of pod `name` (uid `uid`) of
   * `sandboxId`, made on first use. Making one opens a first stream, so
   * that an API server refusing port-forwards (RBAC: `pods/portforward`
   * create) is told here as a RuntimeError rather than as connections that
   * fail one by one.
   */
  async endpoint(sandboxId: string, name: string, uid: string): Promise<LocalEndpoint> {
    if (this.#closed) throw new Error('the runtime is closed')
    const known = this.#bySandbox.get(sandboxId)
    if (known?.uid === uid) {
      const forwarder = await known.ready.catch(() => undefined)
      if (forwarder && !forwarder.closed) return forwarder.endpoint()
    }
    this.close(sandboxId)
    const ready = this.#make({ sandboxId, name, uid })
    const entry = { uid, ready }
    this.#bySandbox.set(sandboxId, entry)
    try {
      return (await ready).endpoint()
    } catch (error) {
      if (this.#bySandbox.get(sandboxId) === entry) this.#bySandbox.delete(sandboxId)
      throw error
    }
  }

  /** Closes the sandbox's forwarder, if it has one (its pod is stopped or removed). */
  close(sandboxId: string): void {
    const entry = this.#bySandbox.get(sandboxId)
    if (!entry) return
    this.#bySandbox.delete(sandboxId)
    void entry.ready.then((forwarder) => forwarder.close()).catch(() => undefined)
  }

  /** Closes every forwarder; none is made afterwards. */
  async closeAll(): Promise<void> {
    this.#closed = true
    const entries = [...this.#bySandbox.values()]
    this.#bySandbox.clear()
    await Promise.all(
      entries.map((entry) => entry.ready.then((forwarder) => forwarder.close()).catch(() => {})),
    )
  }

  async #make(pod: PodRef): Promise<PodForwarder> {
    const { kubeConfig, cluster, port } = this.#options
    try {
      const probe = await openForwardStream(kubeConfig, cluster.namespace, pod.name, port, sink(), {
        // The agent may not listen yet: only whether the API server allows the stream counts.
        onError: () => undefined,
      })
      probe.close()
    } catch (error) {
      throw apiFailure(error, { action: forwardAction(pod.sandboxId), sandboxId: pod.sandboxId })
    }
    const forwarder = new PodForwarder(this.#options, pod, () => {
      const entry = this.#bySandbox.get(pod.sandboxId)
      if (entry?.uid === pod.uid) this.#bySandbox.delete(pod.sandboxId)
    })
    await forwarder.listen()
    // closeAll may have run while this one was being made.
    if (this.#closed) forwarder.close()
    return forwarder
  }
}

/** A writable that drops what it gets: the probe stream's data. */
function sink(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done()
    },
  })
}
