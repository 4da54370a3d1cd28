import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'

/** Collects what a PTY socket receives. */
export class Terminal {
  output = ''
  controls: Array<Record<string, unknown>> = []
  closed: Promise<number>
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.output += data.toString('utf8')
      else this.controls.push(JSON.parse(data.toString('utf8')))
    })
    this.closed = new Promise((resolve) => ws.on('close', (code: number) => resolve(code)))
  }
  async waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const seen = () =>
      typeof text === 'string' ? this.output.includes(text) : text.test(this.output)
    while (!seen()) {
      if (Date.now() > deadline)
        throw new Error(`never saw ${text}; got ${JSON.stringify(this.output)}`)
      await sleep(20)
    }
  }
  async control(type: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.controls.find((c) => c.type === type)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no ${type} control message`)
      await sleep(20)
    }
  }
  type(text: string): void {
    this.ws.send(Buffer.from(text), { binary: true })
  }
}

/** Opens a PTY socket, listening from the first frame (the server sends `ready` at once). */
export async function open(
  app: FastifyInstance,
  path: string,
  headers: Record<string, string> = {},
) {
  let terminal: Terminal | undefined
  await app.injectWS(path, { headers }, { onInit: (ws) => (terminal = new Terminal(ws)) })
  return terminal!
}
