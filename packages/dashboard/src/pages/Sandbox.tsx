import { sandboxes } from '../api/resources.js'
import {
  Busy,
  ErrorBox,
  Link,
  formatBytes,
  formatTime,
  useAction,
  usePolled,
} from '../components/common.js'
import { Checkpoints } from '../components/Checkpoints.js'
import { NetworkPanel } from '../components/NetworkPanel.js'
import { Ports } from '../components/Ports.js'
import { Processes } from '../components/Processes.js'
import { Terminal } from '../components/Terminal.js'
import { LifecycleButtons, StateBadge } from './Sandboxes.js'

/**
 * One sandbox: its state and actions, network and secrets, terminal,
 * processes, checkpoints and ports.
 */
export function SandboxPage({ id }: { id: string }) {
  const sandbox = usePolled(() => sandboxes.get(id), [id], 2000)
  const action = useAction()
  const value = sandbox.value
  const running = value?.state === 'running'

  return (
    <section>
      <p class="crumbs">
        <Link to={{ page: 'sandboxes' }}>Sandboxes</Link> / {value?.name ?? id}
      </p>
      <ErrorBox error={sandbox.error} />
      {!value && !sandbox.error && <Busy label="Loading sandbox" />}
      {value && (
        <div class="card">
          <div class="toolbar">
            <h1>{value.name ?? value.id}</h1>
            <StateBadge sandbox={value} />
            <LifecycleButtons sandbox={value} run={action.run} after={sandbox.reload} />
          </div>
          {action.busy && <Busy label={action.busy} />}
          <ErrorBox error={action.error} />
          {value.error_message && <p class="error">{value.error_message}</p>}
          <dl class="facts">
            <dt>ID</dt>
            <dd class="mono">{value.id}</dd>
            <dt>Workspace</dt>
            <dd>
              <Link to={{ page: 'workspace', id: value.workspace_id, path: '' }}>
                {value.workspace_id}
              </Link>
            </dd>
            <dt>Template</dt>
            <dd class="mono">{value.template}</dd>
            <dt>Resources</dt>
            <dd>
              {value.cpu} CPU, {formatBytes(value.memory)}
            </dd>
            <dt>Disk</dt>
            <dd data-testid="disk">
              {typeof value.disk_bytes === 'number' ? formatBytes(value.disk_bytes) : 'unlimited'}
            </dd>
            <dt>Network</dt>
            <dd>{value.network?.mode ?? value.network_mode}</dd>
            <dt>Expires</dt>
            <dd>{formatTime(value.expires_at)}</dd>
            <dt>Last activity</dt>
            <dd>{formatTime(value.last_activity_at)}</dd>
          </dl>
        </div>
      )}
      {value && <NetworkPanel sandbox={value} onChanged={sandbox.reload} />}
      {value && running && <Terminal sandboxId={id} />}
      {value && !running && (
        <p class="hint card">The terminal opens when the sandbox is running.</p>
      )}
      {value && <Processes sandboxId={id} running={running} />}
      {value && <Checkpoints sandboxId={id} onRestored={sandbox.reload} />}
      {value && <Ports sandboxId={id} />}
    </section>
  )
}
