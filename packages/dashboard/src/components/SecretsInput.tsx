import type { SecretsBody } from '@workspace-manager/protocol'
import { ApiError } from '../api/errors.js'

/** One secret as typed in the create form. */
export interface SecretRow {
  name: string
  value: string
  hosts: string
}

/** A blank row, for the form to start with and to add. */
export const EMPTY_SECRET: SecretRow = { name: '', value: '', hosts: '' }

/**
 * The rows as `secrets` of a create request; rows left wholly blank are
 * dropped, and no row is no map. A name given twice is refused here (code
 * 1001): a JSON object would silently keep only the last one.
 */
export function secretsBody(rows: SecretRow[]): SecretsBody | null {
  const body: SecretsBody = {}
  for (const row of rows) {
    const name = row.name.trim()
    if (!name && !row.value && !row.hosts.trim()) continue
    if (Object.hasOwn(body, name)) {
      throw new ApiError(1001, 400, `secret ${name} is given twice`)
    }
    const hosts = row.hosts
      .split(',')
      .map((host) => host.trim())
      .filter((host) => host !== '')
    body[name] = { value: row.value, hosts }
  }
  return Object.keys(body).length ? body : null
}

/**
 * Rows of name, value and hosts. The value is a password field with
 * autocomplete off, so the browser neither shows nor remembers it.
 */
export function SecretsInput(props: { rows: SecretRow[]; onRows: (rows: SecretRow[]) => void }) {
  const change = (index: number, field: keyof SecretRow, text: string) =>
    props.onRows(props.rows.map((row, at) => (at === index ? { ...row, [field]: text } : row)))
  return (
    <fieldset class="secrets" data-testid="secrets-input">
      <legend>Secrets (the gateway puts the value in requests to the hosts)</legend>
      {props.rows.map((row, index) => (
        <div class="secret-row" key={index}>
          <input
            name="secret-name"
            aria-label="Secret name"
            placeholder="NAME"
            autocomplete="off"
            value={row.name}
            onInput={(event) => change(index, 'name', event.currentTarget.value)}
          />
          <input
            name="secret-value"
            aria-label="Secret value"
            type="password"
            placeholder="value"
            autocomplete="off"
            value={row.value}
            onInput={(event) => change(index, 'value', event.currentTarget.value)}
          />
          <input
            name="secret-hosts"
            aria-label="Secret hosts"
            placeholder="api.example.com, *.example.com"
            autocomplete="off"
            value={row.hosts}
            onInput={(event) => change(index, 'hosts', event.currentTarget.value)}
          />
          <button
            type="button"
            class="small"
            onClick={() => props.onRows(props.rows.filter((_, at) => at !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="small"
        onClick={() => props.onRows([...props.rows, EMPTY_SECRET])}
      >
        Add secret
      </button>
    </fieldset>
  )
}
