import { sandboxes, workspaces } from '../api/resources.js'
import { Busy, ErrorBox, Link, formatTime, usePolled } from '../components/common.js'
import { FileBrowser } from '../components/FileBrowser.js'
import { MountCommands } from '../components/MountCommands.js'
import { usage } from './Workspaces.js'

/** One workspace: its details, how to mount it, its sandboxes and its files. */
export function WorkspacePage({ id, path }: { id: string; path: string }) {
  const workspace = usePolled(() => workspaces.get(id), [id])
  const bound = usePolled(() => sandboxes.list(id), [id], 5000)
  const value = workspace.value

  return (
    <section>
      <p class="crumbs">
        <Link to={{ page: 'workspaces' }}>Workspaces</Link> / {value?.name ?? id}
      </p>
      <ErrorBox error={workspace.error} />
      {!value && !workspace.error && <Busy label="Loading workspace" />}
      {value && (
        <div class="card">
          <h1>{value.name ?? <em>unnamed workspace</em>}</h1>
          <dl class="facts">
            <dt>ID</dt>
            <dd class="mono">{value.id}</dd>
            <dt>Created</dt>
            <dd>{formatTime(value.created_at)}</dd>
            <dt>Used / quota</dt>
            <dd>{usage(value)}</dd>
            <dt>Metadata</dt>
            <dd>
              {value.metadata && Object.keys(value.metadata).length
                ? Object.entries(value.metadata).map(([key, text]) => (
                    <span class="tag" key={key}>
                      {key}={text}
                    </span>
                  ))
                : '—'}
            </dd>
            <dt>Sandboxes</dt>
            <dd>
              {bound.value?.length
                ? bound.value.map((sandbox) => (
                    <Link key={sandbox.id} to={{ page: 'sandbox', id: sandbox.id }} class="tag">
                      {sandbox.name ?? sandbox.id} ({sandbox.state})
                    </Link>
                  ))
                : 'none'}
            </dd>
          </dl>
          <h2>Mount over NFS</h2>
          <MountCommands nfsUrl={value.nfs_url} name={value.name ?? value.id} />
        </div>
      )}
      <FileBrowser workspaceId={id} path={path} />
    </section>
  )
}
