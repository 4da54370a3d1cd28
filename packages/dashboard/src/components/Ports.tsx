import { useState } from 'preact/hooks'
import { sandboxes } from '../api/resources.js'
import { apiKey } from '../api/session.js'
import { ErrorBox, useAction } from './common.js'

/** Links to ports inside the sandbox, through the server's proxy. */
export function Ports({ sandboxId }: { sandboxId: string }) {
  const [port, setPort] = useState('8000')
  const [links, setLinks] = useState<{ port: number; url: string; host: string }[]>([])
  const action = useAction()

  async function add(event: Event) {
    event.preventDefault()
    await action.run(`Looking up port ${port}`, async () => {
      const hint = await sandboxes.port(sandboxId, Number(port))
      setLinks((current) => [hint, ...current.filter((link) => link.port !== hint.port)])
    })
  }

  return (
    <div class="card" data-testid="ports">
      <h2>Ports</h2>
      <form class="inline" onSubmit={add}>
        <input
          name="port"
          type="number"
          min={1}
          max={65535}
          value={port}
          onInput={(event) => setPort(event.currentTarget.value)}
          required
        />
        <button type="submit">Show link</button>
      </form>
      <ErrorBox error={action.error} />
      {links.map((link) => (
        <div class="row" key={link.port}>
          <span>Port {link.port}:</span>{' '}
          <a href={link.url} target="_blank" rel="noopener noreferrer" class="mono">
            {link.url}
          </a>
        </div>
      ))}
      {apiKey() && links.length > 0 && (
        <p class="hint">
          The proxy asks for the API key in its header: a browser tab opened from here is refused
          (401); use a client that sends the header, or the SDK&apos;s port forwarding.
        </p>
      )}
    </div>
  )
}
