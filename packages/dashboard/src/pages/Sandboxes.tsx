import { sandboxes, workspaces, type LifecycleOperation, type Sandbox } from '../api/resources.js'
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
import { CreateSandbox } from '../components/CreateSandbox.js'

/** How often the list is read again, so states change on screen as they do on the server. */
const POLL_MS = 2000

/** Which lifecycle operations make sense from a state. */
export function operationsFor(state: Sandbox['state']): LifecycleOperation[] {
  switch (state) {
    case 'running':
      return ['stop', 'pause']
    case 'paused':
      return ['resume', 'stop']
    case 'stopped':
      return ['start']
    case 'error':
      return ['start']
    default:
      return []
  }
}

/** Every sandbox with its live state; create, delete and lifecycle actions. */
export function SandboxesPage() {
  const list = usePolled(() => sandboxes.list(), [], POLL_MS)
  const spaces = usePolled(() => workspaces.list(), [])
  const action = useAction()
  const names = new Map(spaces.value?.map((space) => [space.id, space.name ?? space.id]))

  return (
    <section>
      <h1>Sandboxes</h1>
      <CreateSandbox workspaces={spaces.value ?? []} onCreated={list.reload} />
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
      <ErrorBox error={list.error} />
      {list.value === undefined && !list.error && <Busy label="Loading sandboxes" />}
      {list.value?.length === 0 && <p class="empty">No sandboxes.</p>}
      {list.value && list.value.length > 0 && (
        <table class="list" data-testid="sandbox-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>State</th>
              <th>Workspace</th>
              <th>Template</th>
              <th>CPU / memory</th>
              <th>Network</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.value.map((sandbox) => (
              <tr key={sandbox.id} data-sandbox={sandbox.id}>
                <td>
                  <Link to={{ page: 'sandbox', id: sandbox.id }}>{sandbox.name ?? sandbox.id}</Link>
                </td>
                <td>
                  <StateBadge sandbox={sandbox} />
                </td>
                <td>
                  <Link to={{ page: 'workspace', id: sandbox.workspace_id, path: '' }}>
                    {names.get(sandbox.workspace_id) ?? sandbox.workspace_id}
                  </Link>
                </td>
                <td class="mono">{sandbox.template}</td>
                <td>
                  {sandbox.cpu} / {formatBytes(sandbox.memory)}
                </td>
                <td>{sandbox.network?.mode ?? sandbox.network_mode}</td>
                <td>{formatTime(sandbox.created_at)}</td>
                <td class="actions">
                  <LifecycleButtons sandbox={sandbox} run={action.run} after={list.reload} />
                  <ConfirmButton
                    class="small"
                    label="Delete"
                    disabled={action.busy !== null}
                    onConfirm={() =>
                      void action.run(
                        `Deleting sandbox ${sandbox.name ?? sandbox.id}`,
                        async () => {
                          await sandboxes.delete(sandbox.id)
                          await list.reload()
                        },
                      )
                    }
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

/** The state, with its error message when it has one. */
export function StateBadge({ sandbox }: { sandbox: Sandbox }) {
  return (
    <span class={`state state-${sandbox.state}`} title={sandbox.error_message ?? ''}>
      {sandbox.state}
      {sandbox.desired_state && sandbox.desired_state !== sandbox.state && sandbox.state !== 'error'
        ? ` → ${sandbox.desired_state}`
        : ''}
    </span>
  )
}

/** Stop, start, pause or resume, as the state allows. */
export function LifecycleButtons(props: {
  sandbox: Sandbox
  run: (label: string, work: () => Promise<unknown>) => Promise<boolean>
  after: () => Promise<void>
}) {
  const { sandbox } = props
  return (
    <>
      {operationsFor(sandbox.state).map((operation) => (
        <button
          type="button"
          class="small"
          key={operation}
          onClick={() =>
            void props.run(`${operation} ${sandbox.name ?? sandbox.id}`, async () => {
              await sandboxes.act(sandbox.id, operation)
              await props.after()
            })
          }
        >
          {operation[0]!.toUpperCase() + operation.slice(1)}
        </button>
      ))}
    </>
  )
}
