import { useState } from 'preact/hooks'
import { sandboxes } from '../api/resources.js'
import { Busy, ConfirmButton, ErrorBox, formatTime, useAction, usePolled } from './common.js'

/** The checkpoints of a sandbox: create, restore, delete. */
export function Checkpoints(props: { sandboxId: string; onRestored: () => Promise<void> }) {
  const { sandboxId } = props
  const list = usePolled(() => sandboxes.checkpoints(sandboxId), [sandboxId])
  const action = useAction()
  const [name, setName] = useState('')
  const [restored, setRestored] = useState<string | null>(null)

  async function create(event: Event) {
    event.preventDefault()
    const ok = await action.run('Creating checkpoint (the sandbox pauses meanwhile)', async () => {
      await sandboxes.createCheckpoint(sandboxId, name || null)
      await list.reload()
    })
    if (ok) setName('')
  }

  return (
    <div class="card" data-testid="checkpoints">
      <h2>Checkpoints</h2>
      <form class="inline" onSubmit={create}>
        <input
          name="checkpoint-name"
          placeholder="name (optional)"
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
        <button type="submit" disabled={action.busy !== null}>
          Create checkpoint
        </button>
      </form>
      {action.busy && <Busy label={action.busy} />}
      {restored && !action.busy && <p class="notice">Restored from {restored}.</p>}
      <ErrorBox error={action.error} />
      <ErrorBox error={list.error} />
      {list.value?.length === 0 && <p class="empty">No checkpoints.</p>}
      {list.value && list.value.length > 0 && (
        <table class="list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.value.map((checkpoint) => (
              <tr key={checkpoint.id}>
                <td>{checkpoint.name ?? <span class="mono">{checkpoint.id}</span>}</td>
                <td>{checkpoint.kind}</td>
                <td>{formatTime(checkpoint.created_at)}</td>
                <td class="actions">
                  <ConfirmButton
                    class="small"
                    label="Restore"
                    disabled={action.busy !== null}
                    onConfirm={() =>
                      void action.run(`Restoring ${checkpoint.name ?? checkpoint.id}`, async () => {
                        setRestored(null)
                        await sandboxes.restoreCheckpoint(sandboxId, checkpoint.id)
                        setRestored(checkpoint.name ?? checkpoint.id)
                        await props.onRestored()
                      })
                    }
                  />
                  <ConfirmButton
                    class="small"
                    label="Delete"
                    disabled={action.busy !== null}
                    onConfirm={() =>
                      void action.run(`Deleting ${checkpoint.name ?? checkpoint.id}`, async () => {
                        await sandboxes.deleteCheckpoint(sandboxId, checkpoint.id)
                        await list.reload()
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
