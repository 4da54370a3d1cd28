import { useState } from 'preact/hooks'
import { workspaces, type Workspace } from '../api/resources.js'
import {
  Busy,
  ConfirmButton,
  ErrorBox,
  Link,
  formatBytes,
  formatTime,
  useAction,
  usePolled,
} from '../components/common.js'
import { MetadataInput, parseMetadata } from '../components/MetadataInput.js'

const POLL_MS = 5000

/** Every workspace, with create and delete. */
export function WorkspacesPage() {
  const list = usePolled(() => workspaces.list(), [], POLL_MS)
  const action = useAction()

  async function remove(workspace: Workspace) {
    await action.run(`Deleting workspace ${workspace.name ?? workspace.id}`, async () => {
      await workspaces.delete(workspace.id)
      await list.reload()
    })
  }

  return (
    <section>
      <h1>Workspaces</h1>
      <CreateWorkspace onCreated={list.reload} />
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
      <ErrorBox error={list.error} />
      {list.value === undefined && !list.error && <Busy label="Loading workspaces" />}
      {list.value?.length === 0 && <p class="empty">No workspaces yet.</p>}
      {list.value && list.value.length > 0 && (
        <table class="list" data-testid="workspace-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Used / quota</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.value.map((workspace) => (
              <tr key={workspace.id} data-workspace={workspace.id}>
                <td>
                  <Link to={{ page: 'workspace', id: workspace.id, path: '' }}>
                    {workspace.name ?? <em>unnamed</em>}
                  </Link>
                </td>
                <td class="mono">{workspace.id}</td>
                <td>{usage(workspace)}</td>
                <td>{formatTime(workspace.created_at)}</td>
                <td class="actions">
                  <ConfirmButton
                    label="Delete"
                    disabled={action.busy !== null}
                    onConfirm={() => void remove(workspace)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** `used / quota`, as far as the server reports them. */
export function usage(workspace: Partial<Workspace>): string {
  const used = typeof workspace.used_bytes === 'number' ? formatBytes(workspace.used_bytes) : '—'
  const quota =
    typeof workspace.quota_bytes === 'number' ? formatBytes(workspace.quota_bytes) : 'unlimited'
  return `${used} / ${quota}`
}

function CreateWorkspace({ onCreated }: { onCreated: () => Promise<void> }) {
  const [name, setName] = useState('')
  const [metadata, setMetadata] = useState('')
  const action = useAction()

  async function submit(event: Event) {
    event.preventDefault()
    const ok = await action.run('Creating workspace', async () => {
      const parsed = parseMetadata(metadata)
      await workspaces.create({
        ...(name ? { name } : {}),
        ...(parsed ? { metadata: parsed } : {}),
      })
      await onCreated()
    })
    if (ok) {
      setName('')
      setMetadata('')
    }
  }

  return (
    <form class="card create" onSubmit={submit} data-testid="create-workspace">
      <h2>New workspace</h2>
      <label>
        Name
        <input
          name="name"
          value={name}
          maxLength={128}
          onInput={(event) => setName(event.currentTarget.value)}
        />
      </label>
      <MetadataInput value={metadata} onInput={setMetadata} />
      <button type="submit" disabled={action.busy !== null}>
        Create workspace
      </button>
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
    </form>
  )
}
