import { useEffect, useRef, useState } from 'preact/hooks'
import { Terminal as XTerm } from '@xterm/xterm'
import { FitAddon } from '@xterm/addon-fit'
import { Busy } from './common.js'
import { PtySession, forgetPty, savedPtyId, type SessionStatus } from './terminal-session.js'

/**
 * A full terminal in the sandbox (xterm.js over the PTY WebSocket). It fits
 * its box and follows the window's size; closing it only detaches, and
 * opening it again reattaches to the same shell with its scroll-back.
 */
export function Terminal({ sandboxId }: { sandboxId: string }) {
  const [open, setOpen] = useState(true)
  const [generation, setGeneration] = useState(0)

  return (
    <div class="card terminal-card">
      <div class="toolbar">
        <h2>Terminal</h2>
        {open ? (
          <button type="button" onClick={() => setOpen(false)}>
            Close terminal
          </button>
        ) : (
          <button type="button" onClick={() => setOpen(true)}>
            Open terminal
          </button>
        )}
        <button
          type="button"
          onClick={() => {
            forgetPty(sandboxId)
            setOpen(true)
            setGeneration(generation + 1)
          }}
        >
          New shell
        </button>
      </div>
      {open ? (
        <TerminalView
          key={`${sandboxId}-${generation}`}
          sandboxId={sandboxId}
          onReopen={() => setGeneration(generation + 1)}
        />
      ) : (
        <p class="hint">Closed. The shell keeps running; open the terminal to reattach.</p>
      )}
    </div>
  )
}

function TerminalView(props: { sandboxId: string; onReopen: () => void }) {
  const { sandboxId } = props
  const box = useRef<HTMLDivElement>(null)
  const sessionRef = useRef<PtySession | null>(null)
  const [status, setStatus] = useState<{ status: SessionStatus; detail?: string }>({
    status: 'connecting',
  })
  const [ptyId, setPtyId] = useState<string | null>(savedPtyId(sandboxId))

  useEffect(() => {
    const term = new XTerm({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 14,
      scrollback: 5000,
    })
    const fit = new FitAddon()
    term.loadAddon(fit)
    term.open(box.current!)
    fit.fit()
    const session = new PtySession(
      sandboxId,
      savedPtyId(sandboxId),
      { cols: term.cols, rows: term.rows },
      {
        output: (bytes) => term.write(bytes),
        status: (next, detail) => setStatus({ status: next, ...(detail ? { detail } : {}) }),
        ptyId: setPtyId,
      },
    )
    sessionRef.current = session
    term.onData((data) => session.input(data))
    // The size is shown on the box too, so a look (or a test) can compare it with `stty size`.
    const showSize = () => {
      box.current!.dataset['cols'] = String(term.cols)
      box.current!.dataset['rows'] = String(term.rows)
    }
    showSize()
    term.onResize(({ cols, rows }) => {
      showSize()
      session.resize(cols, rows)
    })
    const refit = () => fit.fit()
    const observer = new ResizeObserver(refit)
    observer.observe(box.current!)
    window.addEventListener('resize', refit)
    void session.connect()
    term.focus()
    return () => {
      observer.disconnect()
      window.removeEventListener('resize', refit)
      session.close()
      term.dispose()
    }
  }, [sandboxId])

  return (
    <div>
      <div class="terminal-status" data-testid="terminal-status" data-status={status.status}>
        {status.status === 'connecting' || status.status === 'reconnecting' ? (
          <Busy label={`${status.status}${status.detail ? ` (${status.detail})` : ''}`} />
        ) : (
          <span>
            {status.status}
            {status.detail ? ` (${status.detail})` : ''}
          </span>
        )}
        {ptyId && <span class="mono"> PTY {ptyId}</span>}
        <button
          type="button"
          class="small"
          title="Drop the connection and reattach"
          onClick={() =>
            // A session that gave up (or whose shell ended) is replaced; a live one is dropped and reattaches.
            status.status === 'lost' || status.status === 'exited'
              ? props.onReopen()
              : sessionRef.current?.drop()
          }
        >
          Reconnect
        </button>
        <button type="button" class="small" onClick={() => sessionRef.current?.kill()}>
          Kill shell
        </button>
      </div>
      <div class="terminal" ref={box} data-testid="terminal" />
    </div>
  )
}
