import { request, type RequestOptions } from './client.js'

/** One server-sent event: its name and parsed JSON data. */
export interface SseEvent {
  event: string
  data: unknown
  id: string | null
}

/**
 * Reads an SSE route through fetch (EventSource cannot send the API key
 * header), calling `onEvent` per event until the stream ends or `signal`
 * aborts.
 */
export async function readSse(
  method: 'GET' | 'POST',
  path: string,
  onEvent: (event: SseEvent) => void,
  signal: AbortSignal,
  options: RequestOptions = {},
): Promise<void> {
  const response = await request(method, path, {
    ...options,
    headers: { ...options.headers, accept: 'text/event-stream' },
    signal,
  })
  if (!response.body) return
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffered = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffered += value
    let end: number
    while ((end = buffered.indexOf('\n\n')) !== -1) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      const parsed = parseBlock(block)
      if (parsed) onEvent(parsed)
    }
  }
}

function parseBlock(block: string): SseEvent | null {
  let event = 'message'
  let id: string | null = null
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'id') id = value
    else if (field === 'data') data.push(value)
  }
  if (!data.length) return null
  const text = data.join('\n')
  try {
    return { event, id, data: JSON.parse(text) as unknown }
  } catch {
    return { event, id, data: text }
  }
}
