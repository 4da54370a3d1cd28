import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import fastifyStatic from '@fastify/static'
import { ApiError } from '../errors.js'

/** Where `npm run build` puts the dashboard, beside this package in the repository. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(
  new URL('../../../dashboard/dist/', import.meta.url),
)

/**
 * The page may load only what the server itself serves; it talks to the API
 * and the PTY WebSocket on the same origin. xterm.js sets inline styles.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Options of {@link dashboardRoutes}. */
export interface DashboardOptions {
  /** The built dashboard (index.html and assets/); default {@link DEFAULT_DASHBOARD_DIR}. */
  dir?: string
  /** Whether API calls need a key, and its header: the page asks for one only then. */
  auth: { apiKeys: readonly string[]; header: string }
}

/** Rule of every dashboard route: the files hold no data, so no key is asked for them. */
const PUBLIC = { auth: false }

/**
 * The web dashboard at `/ui`: its built files, `index.html` for any other
 * path under it (the page routes itself), and `/ui/config.json`, which tells
 * the page whether to ask for a key. Hashed assets are cached for good,
 * everything else revalidated. Without a build, 404 code 1007 says so.
 */
export async function dashboardRoutes(
  app: FastifyInstance,
  options: DashboardOptions,
): Promise<void> {
  const root = path.resolve(options.dir ?? DEFAULT_DASHBOARD_DIR)
  await app.register(fastifyStatic, { root, serve: false })

  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('content-security-policy', DASHBOARD_CSP)
    void reply.header('x-content-type-options', 'nosniff')
    void reply.header('referrer-policy', 'same-origin')
    return payload
  })

  async function sendIndex(reply: FastifyReply): Promise<FastifyReply> {
    if (!(await isFile(path.join(root, 'index.html')))) {
      throw new ApiError(
        'NOT_FOUND',
        `the dashboard is not built (no index.html in ${root}); run npm run build`,
      )
    }
    void reply.header('cache-control', 'no-cache')
    return reply.sendFile('index.html', root, { cacheControl: false })
  }

  const route = { schema: { hide: true }, config: PUBLIC }
  app.get('/ui', route, async (_request, reply) => sendIndex(reply))
  app.get('/ui/config.json', route, async (_request, reply) => {
    void reply.header('cache-control', 'no-store')
    return { auth: options.auth.apiKeys.length > 0, api_key_header: options.auth.header }
  })
  app.get('/ui/*', route, async (request, reply) => {
    const relative = (request.params as { '*': string })['*']
    const file = path.resolve(root, relative)
    const inside = file.startsWith(root + path.sep)
    if (inside && relative !== 'index.html' && (await isFile(file))) {
      const hashed = relative.startsWith('assets/')
      void reply.header(
        'cache-control',
        hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
      return reply.sendFile(path.relative(root, file), root, { cacheControl: false })
    }
    // A missing asset is an error, not the page: a stale page would otherwise run HTML as script.
    if (relative.startsWith('assets/')) {
      throw new ApiError('NOT_FOUND', `no dashboard asset ${relative.slice(0, 200)}`)
    }
    return sendIndex(reply)
  })
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile()
  } catch {
    return false
  }
}
