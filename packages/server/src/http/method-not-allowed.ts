import type { FastifyInstance } from 'fastify'

/** One route pattern and the methods declared on it. */
interface RoutePattern {
  readonly url: string
  readonly matcher: RegExp
  /** Per segment: 2 static, 1 parameter, 0 wildcard (see `moreSpecific`). */
  readonly rank: readonly number[]
  readonly methods: Set<string>
}

function segmentRank(segment: string): number {
  if (segment === '*') return 0
  return segment.startsWith(':') ? 1 : 2
}

/** Compares ranks segment by segment: positive when `a` names the path more specifically. */
function moreSpecific(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1)
    if (diff !== 0) return diff
  }
  return 0
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * `/v1/sandboxes/:id/proxy/:port/*` -> a regular expression over a raw
 * (still percent-encoded) request path: a `:name` segment is one non-empty
 * path segment, a trailing `*` is anything.
 */
function patternMatcher(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*'
      if (segment.startsWith(':')) return '[^/]+'
      return escapeRegExp(segment)
    })
    .join('/')
  return new RegExp(`^${source}$`)
}

/**
 * The methods of every route, so a request the router does not know can be
 * told apart: an unknown path (404) or a known path asked with a method it
 * does not declare (405 with `Allow`, RFC 9110 section 15.5.6).
 */
export class RouteMethods {
  readonly #patterns = new Map<string, RoutePattern>()

  /** Records every route added after this call (Fastify's `onRoute` reaches encapsulated scopes too). */
  register(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      // `OPTIONS *` is the CORS preflight route: it says nothing about the methods of a path.
      if (route.url === '*') return
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      this.add(route.url, methods)
    })
  }

  /** Declares `methods` on `url` (a Fastify route pattern). */
  add(url: string, methods: readonly string[]): void {
    let pattern = this.#patterns.get(url)
    if (!pattern) {
      const rank = url.split('/').map(segmentRank)
      pattern = { url, matcher: patternMatcher(url), rank, methods: new Set() }
      this.#patterns.set(url, pattern)
    }
    for (const method of methods) pattern.methods.add(method.toUpperCase())
    // Fastify answers HEAD wherever GET is declared (exposeHeadRoutes).
    if (pattern.methods.has('GET')) pattern.methods.add('HEAD')
  }

  /**
   * The methods declared on the resource `path` (no query string) names,
   * sorted; empty when no route has that path. When several patterns match,
   * the resource is the most specific one, as the router sees it: a static
   * segment names a resource of its own (`.../pty/tokens` is not the PTY
   * `tokens` of `.../pty/:ptyId`).
   */
  allowed(path: string): string[] {
    let best: RoutePattern[] = []
    for (const pattern of this.#patterns.values()) {
      if (!pattern.matcher.test(path)) continue
      const order = best[0] ? moreSpecific(pattern.rank, best[0].rank) : 1
      if (order > 0) best = [pattern]
      else if (order === 0) best.push(pattern)
    }
    return [...new Set(best.flatMap((pattern) => [...pattern.methods]))].sort()
  }
}
