import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** The template the bootstrap builds offline (Debian with bash and python3). */
export const TEST_TEMPLATE = 'workspace-test:latest'

/** The states a sandbox passes through while an operation is under way. */
export const TRANSITIONAL_STATES = ['starting', 'stopping', 'pausing', 'resuming'] as const

/** A reply read whole: status, the JSON body (undefined when not JSON) and the text. */
export interface JsonReply {
  status: number
  json: any
  text: string
}

/**
 * One HTTP call to a replica or the load balancer. Bounded: a server that
 * never answers fails the test after `timeoutMs` instead of hanging it.
 */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  {
    timeoutMs = 120_000,
    headers = {},
  }: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<JsonReply> {
  const response = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const text = await response.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: response.status, json, text }
}

/** `call`, but the status must be `expected`; the reply's JSON is returned. */
export async function expectStatus(
  expected: number,
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<any> {
  const reply = await call(base, method, path, body)
  if (reply.status !== expected) {
    throw new Error(
      `${method} ${base}${path}: expected ${expected}, got ${reply.status} ${reply.text}`,
    )
  }
  return reply.json
}

/**
 * Polls `probe` until it returns something other than undefined, at most
 * `timeoutMs`; on time-out the error says what was awaited and what the last
 * probe saw (`describe`), or the probe's last error.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  describe: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const seen = describe() || (lastError ? String(lastError) : 'nothing')
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`)
    }
    await sleep(100)
  }
}

/** A TCP port free at the time of asking (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** One server-sent event. */
export interface SseEvent {
  id: number | undefined
  event: string
  data: any
}

/**
 * Opens an SSE response and yields its events as they arrive. Breaking out
 * of the loop drops the connection: only this reader stops, the process on
 * the server runs on. A stream still open after `timeoutMs` fails.
 */
export async function* readSse(
  url: string,
  init: {
    method?: string
    body?: unknown
    headers?: Record<string, string>
    timeoutMs?: number
  } = {},
): AsyncGenerator<SseEvent> {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new Error(`SSE ${url} still open after ${init.timeoutMs ?? 60_000} ms`)),
    init.timeoutMs ?? 60_000,
  )
  try {
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        accept: 'text/event-stream',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: controller.signal,
    })
    if (response.status !== 200 || !response.body) {
      throw new Error(`SSE ${url}: ${response.status} ${await response.text()}`)
    }
    const decoder = new TextDecoder()
    let buffered = ''
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true })
      let end: number
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const frame = buffered.slice(0, end)
        buffered = buffered.slice(end + 2)
        const event = parseFrame(frame)
        if (event) yield event
      }
    }
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
}

function parseFrame(frame: string): SseEvent | undefined {
  let id: number | undefined
  let event = 'message'
  const data: string[] = []
  for (const line of frame.split('\n')) {
    if (line.startsWith(':') || !line) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') id = Number(value)
    else if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return undefined
  return { id, event, data: JSON.parse(data.join('\n')) }
}
