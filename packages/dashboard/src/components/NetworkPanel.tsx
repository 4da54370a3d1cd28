import { useEffect, useState } from 'preact/hooks'
import { sandboxes, type Sandbox } from '../api/resources.js'
import { Busy, ErrorBox, formatTime, useAction } from './common.js'
import { NetworkFields, networkBody, type NetworkMode } from './NetworkInput.js'

/** Modes whose sandboxes sit behind the egress gateway, whose policy can change while they run. */
const GATEWAY_MODES: readonly string[] = ['allowlist', 'open']

/** States in which the server takes a policy change. */
const CHANGEABLE_STATES: readonly string[] = ['running', 'paused']

/**
 * A sandbox's network: its mode, allow list and what the gateway refused,
 * its secrets (names and hosts; replies never carry a value), and a form to
 * change the policy of a sandbox behind the gateway.
 */
export function NetworkPanel(props: { sandbox: Sandbox; onChanged: () => Promise<void> }) {
  const { sandbox } = props
  const network = sandbox.network
  const mode = network?.mode ?? sandbox.network_mode
  const secrets = Object.entries(sandbox.secrets ?? {})
  const changeable = CHANGEABLE_STATES.includes(sandbox.state) && mode !== 'bridge'

  return (
    <div class="card" data-testid="network">
      <h2>Network</h2>
      <dl class="facts">
        <dt>Mode</dt>
        <dd data-testid="network-mode">{mode}</dd>
        {mode === 'allowlist' && (
          <>
            <dt>Allowed</dt>
            <dd data-testid="network-allow">
              {network?.allow.length ? (
                network.allow.map((entry) => (
                  <code class="tag" key={entry}>
                    {entry}
                  </code>
                ))
              ) : (
                <span class="hint">nothing</span>
              )}
            </dd>
          </>
        )}
        <dt>Refused</dt>
        <dd data-testid="network-denied">{network?.denied.count ?? 0}</dd>
        <dt>Secrets</dt>
        <dd data-testid="secrets">
          {secrets.length ? (
            secrets.map(([name, secret]) => (
              <div key={name}>
                <code>{name}</code> → {secret.hosts.join(', ')}
              </div>
            ))
          ) : (
            <span class="hint">none</span>
          )}
        </dd>
      </dl>
      {network?.denied.recent.length ? (
        <table class="list" data-testid="network-refusals">
          <thead>
            <tr>
              <th>Refused destination</th>
              <th>Port</th>
              <th>At</th>
            </tr>
          </thead>
          <tbody>
            {network.denied.recent.map((denial, index) => (
              <tr key={`${denial.at}-${index}`}>
                <td class="mono">{denial.host}</td>
                <td>{denial.port ?? 'name lookup'}</td>
                <td>{formatTime(denial.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {changeable &&
        (GATEWAY_MODES.includes(mode) ? (
          <PolicyForm sandbox={sandbox} mode={mode} onChanged={props.onChanged} />
        ) : (
          // Replies do not tell a sandbox made with none from one behind the gateway switched to
          // none: offer the form folded, and the server answers 1001 for the former.
          <details>
            <summary>Change the policy</summary>
            <p class="hint">
              Only a sandbox created with allowlist or open (behind the gateway) can change it.
            </p>
            <PolicyForm sandbox={sandbox} mode={mode} onChanged={props.onChanged} />
          </details>
        ))}
    </div>
  )
}

/** Mode and allow list, sent with PATCH …/network; starts from the policy in force. */
function PolicyForm(props: { sandbox: Sandbox; mode: string; onChanged: () => Promise<void> }) {
  const current = props.sandbox.network?.allow ?? []
  const startMode = (GATEWAY_MODES.includes(props.mode) ? props.mode : 'none') as NetworkMode
  const [mode, setMode] = useState<NetworkMode>(startMode)
  const [allow, setAllow] = useState(current.join('\n'))
  const action = useAction()
  // A change made elsewhere (another tab, the CLI) shows up when the page polls.
  const inForce = `${props.mode}|${current.join('\n')}`
  useEffect(() => {
    setMode(startMode)
    setAllow(current.join('\n'))
  }, [inForce])

  async function submit(event: Event) {
    event.preventDefault()
    await action.run('Changing the network policy', async () => {
      await sandboxes.setNetwork(props.sandbox.id, networkBody(mode, allow))
      await props.onChanged()
    })
  }

  return (
    <form class="policy" onSubmit={submit} data-testid="network-form">
      <div class="network-fields">
        <NetworkFields mode={mode} allow={allow} onMode={setMode} onAllow={setAllow} />
      </div>
      <button type="submit" disabled={action.busy !== null}>
        Apply policy
      </button>
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
    </form>
  )
}
