import { useEffect, useState } from 'preact/hooks'

/** Where the dashboard is served; every page's URL is under it. */
export const BASE = '/ui'

/** A page of the dashboard, read from the URL. */
export type Route =
  | { page: 'workspaces' }
  | { page: 'workspace'; id: string; path: string }
  | { page: 'sandboxes' }
  | { page: 'sandbox'; id: string }

/** Reads the page from a location pathname and search. */
export function parseRoute(pathname: string, search: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts[0] === 'workspaces' && parts[1]) {
    return { page: 'workspace', id: parts[1], path: new URLSearchParams(search).get('path') ?? '' }
  }
  if (parts[0] === 'sandboxes' && parts[1]) return { page: 'sandbox', id: parts[1] }
  if (parts[0] === 'sandboxes') return { page: 'sandboxes' }
  return { page: 'workspaces' }
}

/** The URL of a page. */
export function routeUrl(route: Route): string {
  switch (route.page) {
    case 'workspaces':
      return `${BASE}/`
    case 'sandboxes':
      return `${BASE}/sandboxes`
    case 'sandbox':
      return `${BASE}/sandboxes/${encodeURIComponent(route.id)}`
    case 'workspace': {
      const query = route.path ? `?path=${encodeURIComponent(route.path)}` : ''
      return `${BASE}/workspaces/${encodeURIComponent(route.id)}${query}`
    }
  }
}

const listeners = new Set<() => void>()
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()))

/** Goes to a page (a history entry, no reload). */
export function navigate(route: Route): void {
  history.pushState(null, '', routeUrl(route))
  listeners.forEach((listener) => listener())
}

/** The current page; re-renders on navigation. */
export function useRoute(): Route {
  const read = () => parseRoute(location.pathname, location.search)
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const listener = () => setRoute(read())
    listeners.add(listener)
    return () => void listeners.delete(listener)
  }, [])
  return route
}
