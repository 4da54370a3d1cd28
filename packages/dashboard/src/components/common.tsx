import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { describeError } from '../api/errors.js'
import { navigate, routeUrl, type Route } from '../router.js'

/** An API error as the user sees it: its code and message. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null
  const { code, message } = describeError(error)
  return (
    <div class="error" role="alert" data-testid="error">
      {code !== null && <strong class="error-code">Error {code}</strong>} {message}
    </div>
  )
}

/** A spinner with what is being done, for every action that takes a while. */
export function Busy({ label }: { label: string }) {
  return (
    <div class="busy" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {label}
    </div>
  )
}

/** A link to a dashboard page that navigates without reloading. */
export function Link(props: { to: Route; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={routeUrl(props.to)}
      class={props.class}
      onClick={(event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return
        event.preventDefault()
        navigate(props.to)
      }}
    >
      {props.children}
    </a>
  )
}

/** State of one action the user started: what is running, and how the last one failed. */
export interface Action {
  busy: string | null
  error: unknown
  run: (label: string, work: () => Promise<unknown>) => Promise<boolean>
  clear: () => void
}

/** Runs one user action at a time, with its progress label and its error. */
export function useAction(): Action {
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const run = useCallback(async (label: string, work: () => Promise<unknown>) => {
    setBusy(label)
    setError(null)
    try {
      await work()
      return true
    } catch (caught) {
      setError(caught)
      return false
    } finally {
      setBusy(null)
    }
  }, [])
  return { busy, error, run, clear: () => setError(null) }
}

/**
 * Loads data with `load` now and every `intervalMs` (when given), keeping the
 * last good value beside the last error; `reload` loads again at once.
 */
export function usePolled<T>(
  load: () => Promise<T>,
  deps: unknown[],
  intervalMs?: number,
): { value: T | undefined; error: unknown; reload: () => Promise<void> } {
  const [value, setValue] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const loadRef = useRef(load)
  loadRef.current = load
  const reload = useCallback(async () => {
    try {
      setValue(await loadRef.current())
      setError(null)
    } catch (caught) {
      setError(caught)
    }
  }, [])
  useEffect(() => {
    setValue(undefined)
    void reload()
    if (!intervalMs) return
    const timer = setInterval(() => void reload(), intervalMs)
    return () => clearInterval(timer)
  }, deps)
  return { value, error, reload }
}

/** Bytes as B, KiB, MiB or GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

/** An ISO time as the browser's local date and time. */
export function formatTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—'
}

/** A button that copies `text` to the clipboard and says so. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false)
  return (
    <button
      type="button"
      class="small"
      onClick={async () => {
        await navigator.clipboard.writeText(text)
        setCopied(true)
        setTimeout(() => setCopied(false), 1500)
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  )
}

/** A button that asks "Sure?" on the first click and acts on the second. */
export function ConfirmButton(props: {
  label: string
  confirmLabel?: string
  onConfirm: () => void
  disabled?: boolean
  class?: string
}) {
  const [armed, setArmed] = useState(false)
  useEffect(() => {
    if (!armed) return
    const timer = setTimeout(() => setArmed(false), 4000)
    return () => clearTimeout(timer)
  }, [armed])
  return (
    <button
      type="button"
      class={`${props.class ?? ''} ${armed ? 'danger' : ''}`.trim()}
      disabled={props.disabled}
      onClick={() => {
        if (!armed) return setArmed(true)
        setArmed(false)
        props.onConfirm()
      }}
    >
      {armed ? (props.confirmLabel ?? `Confirm ${props.label.toLowerCase()}`) : props.label}
    </button>
  )
}
