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

  /**
   * With a key, a plain link would be refused (a tab cannot send the key
   * header): the tab is opened at once, inside the click, so no popup blocker
   * stops it, and sent to the token URL once the token is minted; the proxy
   * swaps the token for a cookie scoped to this port.
   */
  async function open(event: MouseEvent, linkPort: number) {
    if (!apiKey()) return
    event.preventDefault()
    const tab = window.open('about:blank', '_blank')
    if (tab) tab.opener = null
    await action.run(`Opening port ${linkPort}`, async () => {
      try {
        const { url } = await sandboxes.proxyToken(sandboxId, linkPort)
        if (tab) tab.location.href = url
        else window.location.href = url
      } catch (error) {
        tab?.close()
        throw error
      }
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
          <a
            href={link.url}
            target="_blank"
            rel="noopener noreferrer"
            class="mono"
            onClick={(event) => void open(event, link.port)}
          >
            {link.url}
          </a>
        </div>
      ))}
    </div>
  )
}
