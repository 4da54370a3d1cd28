import { useEffect, useRef, useState } from 'preact/hooks'
import { sandboxes, type ProcessInfo } from '../api/resources.js'
import { readSse } from '../api/sse.js'
import { Busy, ErrorBox, formatTime, useAction, usePolled } from './common.js'

const POLL_MS = 3000
const SIGTERM = 15
const SIGKILL = 9

interface Output {
  pid: number | null
  text: string
  exit: string | null
}

/** Running and recent processes; run a command and watch the output of any of them. */
export function Processes({ sandboxId, running }: { sandboxId: string; running: boolean }) {
  const list = usePolled(() => sandboxes.processes(sandboxId), [sandboxId, running], POLL_MS)
  const action = useAction()
  const [command, setCommand] = useState('')
  const [output, setOutput] = useState<Output | null>(null)
  const [error, setError] = useState<unknown>(null)
  const stream = useRef<AbortController | null>(null)

  useEffect(() => () => stream.current?.abort(), [])

  /** Follows one SSE stream into the output panel until it ends or another starts. */
  function follow(method: 'GET' | 'POST', path: string, json?: unknown, pid: number | null = null) {
    stream.current?.abort()
    const controller = new AbortController()
    stream.current = controller
    setError(null)
    setOutput({ pid, text: '', exit: null })
    readSse(
      method,
      path,
      ({ event, data }) => {
        const fields = data as { pid?: number; data?: string; code?: number; message?: string }
        setOutput((current) => {
          const now = current ?? { pid: null, text: '', exit: null }
          if (event === 'start') return { ...now, pid: fields.pid ?? null }
          if (event === 'stdout' || event === 'stderr')
            return { ...now, text: now.text + (fields.data ?? '') }
          if (event === 'exit') return { ...now, exit: `exited with code ${fields.code}` }
          if (event === 'error') return { ...now, exit: `error: ${fields.message}` }
          return now
        })
      },
      controller.signal,
      json === undefined ? {} : { json },
    )
      .then(() => list.reload())
      .catch((caught: Error) => {
        if (caught.name !== 'AbortError') setError(caught)
      })
  }

  function run(event: Event) {
    event.preventDefault()
    // Through a shell, as typed: pipes and globs work as in the terminal.
    follow('POST', `/v1/sandboxes/${encodeURIComponent(sandboxId)}/processes`, {
      cmd: '/bin/sh',
      args: ['-c', command],
    })
    setTimeout(() => void list.reload(), 300)
  }

  const watch = (process: ProcessInfo) =>
    follow(
      'GET',
      `/v1/sandboxes/${encodeURIComponent(sandboxId)}/processes/${process.pid}/output`,
      undefined,
      process.pid,
    )

  return (
    <div class="card" data-testid="processes">
      <h2>Processes</h2>
      <form class="inline" onSubmit={run}>
        <input
          name="command"
          class="grow mono"
          placeholder="command, run with /bin/sh -c"
          value={command}
          onInput={(event) => setCommand(event.currentTarget.value)}
          required
        />
        <button type="submit" disabled={!running}>
          Run
        </button>
      </form>
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
      <ErrorBox error={error} />
      <ErrorBox error={list.error} />
      {output && (
        <div class="output">
          <div class="toolbar">
            <strong>Output{output.pid !== null ? ` of ${output.pid}` : ''}</strong>
            <span>{output.exit ?? <Busy label="running" />}</span>
          </div>
          <pre data-testid="process-output">{output.text}</pre>
        </div>
      )}
      {list.value && list.value.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th>PID</th>
              <th>Command</th>
              <th>State</th>
              <th>Started</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.value.map((process) => (
              <tr key={process.pid}>
                <td>{process.pid}</td>
                <td class="mono">{[process.cmd, ...process.args].join(' ')}</td>
                <td>
                  {process.state === 'running'
                    ? 'running'
                    : `exited ${process.exit_code ?? ''}${process.timed_out ? ' (timed out)' : ''}`}
                </td>
                <td>{formatTime(process.started_at)}</td>
                <td class="actions">
                  <button type="button" class="small" onClick={() => watch(process)}>
                    Output
                  </button>
                  {process.state === 'running' && (
                    <>
                      <button
                        type="button"
                        class="small"
                        onClick={() =>
                          void action.run(`Stopping ${process.pid}`, async () => {
                            await sandboxes.signal(sandboxId, process.pid, SIGTERM)
                            await list.reload()
                          })
                        }
                      >
                        Stop
                      </button>
                      <button
                        type="button"
                        class="small danger"
                        onClick={() =>
                          void action.run(`Killing ${process.pid}`, async () => {
                            await sandboxes.signal(sandboxId, process.pid, SIGKILL)
                            await list.reload()
                          })
                        }
                      >
                        Kill
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.value?.length === 0 && <p class="empty">No processes yet.</p>}
    </div>
  )
}
