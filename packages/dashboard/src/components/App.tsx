import { useEffect, useState } from 'preact/hooks'
import { loadUiConfig, type UiConfig } from '../api/client.js'
import { apiKey, onSessionChange, signOut } from '../api/session.js'
import { useRoute } from '../router.js'
import { Busy, ErrorBox, Link } from './common.js'
import { SignIn } from './SignIn.js'
import { WorkspacesPage } from '../pages/Workspaces.js'
import { WorkspacePage } from '../pages/Workspace.js'
import { SandboxesPage } from '../pages/Sandboxes.js'
import { SandboxPage } from '../pages/Sandbox.js'

/**
 * The dashboard: learns from the server whether a key is needed, asks for
 * one when it is, then shows the page the URL names.
 */
export function App() {
  const [config, setConfig] = useState<UiConfig | null>(null)
  const [configError, setConfigError] = useState<unknown>(null)
  const [key, setKey] = useState(apiKey())
  const route = useRoute()

  useEffect(() => onSessionChange(() => setKey(apiKey())), [])
  useEffect(() => {
    loadUiConfig().then(setConfig, setConfigError)
  }, [])

  if (configError) return <ErrorBox error={configError} />
  if (!config) return <Busy label="Loading" />
  if (config.auth && !key) return <SignIn />

  return (
    <div class="layout">
      <header class="topbar">
        <span class="brand">Workspace Manager</span>
        <nav>
          <Link to={{ page: 'workspaces' }} class={navClass(route.page, 'workspace')}>
            Workspaces
          </Link>
          <Link to={{ page: 'sandboxes' }} class={navClass(route.page, 'sandbox')}>
            Sandboxes
          </Link>
        </nav>
        {config.auth && (
          <button type="button" class="small" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main>
        {route.page === 'workspaces' && <WorkspacesPage />}
        {route.page === 'workspace' && <WorkspacePage id={route.id} path={route.path} />}
        {route.page === 'sandboxes' && <SandboxesPage />}
        {route.page === 'sandbox' && <SandboxPage id={route.id} />}
      </main>
    </div>
  )
}

function navClass(page: string, prefix: string): string {
  return page.startsWith(prefix) ? 'active' : ''
}
