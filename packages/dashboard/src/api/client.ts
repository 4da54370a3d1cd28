import { ApiError, errorFromReply } from './errors.js'
import { apiKey, signOut } from './session.js'

/** What the server says of its sign-in at `/ui/config.json` (no key needed). */
export interface UiConfig {
  /** Whether API calls need a key. */
  auth: boolean
  /** The header the key goes in (lower case). */
  api_key_header: string
}

let header = 'x-api-key'

/** Reads `/ui/config.json`: whether to ask for a key, and where it goes. */
export async function loadUiConfig(): Promise<UiConfig> {
  const response = await fetch('/ui/config.json', { cache: 'no-store' })
  if (!response.ok) throw errorFromReply(response.status, await response.text())
  const config = (await response.json()) as UiConfig
  header = config.api_key_header
  return config
}

/** Headers every API call carries: the key, when this tab has one. */
export function authHeaders(): Record<string, string> {
  const key = apiKey()
  return key ? { [header]: key } : {}
}

/** Query values; undefined ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>

/** `/v1/...` with its query string. */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value))
  }
  const search = params.toString()
  return search ? `${path}?${search}` : path
}

/** Options of {@link request}. */
export interface RequestOptions {
  query?: Query
  /** Sent as JSON. */
  json?: unknown
  /** Sent as it is (file contents). */
  body?: BodyInit
  headers?: Record<string, string>
  signal?: AbortSignal
}

/**
 * One API call with the key; an error reply throws {@link ApiError} with its
 * code and message. A 401 also signs the tab out, back to the sign-in page.
 */
export async function request(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...authHeaders(), ...options.headers }
  let body = options.body
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.json)
  }
  let response: Response
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw new ApiError(0, 0, `the server did not answer: ${(error as Error).message}`)
  }
  if (!response.ok) {
    const error = errorFromReply(response.status, await response.text())
    if (response.status === 401) signOut()
    throw error
  }
  return response
}

/** {@link request} and its JSON reply (undefined for 204). */
export async function requestJson<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const response = await request(method, path, options)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}
