import { useState } from 'preact/hooks'
import { uploadFile } from '../api/upload.js'
import { ErrorBox, formatBytes } from './common.js'

interface Upload {
  name: string
  sent: number
  total: number
  done: boolean
}

/** Drop files here (or pick them) to upload them into `dir`, each with its progress. */
export function UploadZone(props: {
  workspaceId: string
  dir: string
  onUploaded: () => Promise<void>
}) {
  const [uploads, setUploads] = useState<Upload[]>([])
  const [error, setError] = useState<unknown>(null)
  const [over, setOver] = useState(false)

  async function send(list: FileList | null) {
    if (!list?.length) return
    setError(null)
    const picked = Array.from(list)
    setUploads(picked.map((file) => ({ name: file.name, sent: 0, total: file.size, done: false })))
    for (const [index, file] of picked.entries()) {
      const update = (change: Partial<Upload>) =>
        setUploads((current) =>
          current.map((upload, at) => (at === index ? { ...upload, ...change } : upload)),
        )
      try {
        const path = props.dir ? `${props.dir}/${file.name}` : file.name
        await uploadFile(props.workspaceId, path, file, (sent, total) => update({ sent, total }))
        update({ done: true, sent: file.size })
      } catch (caught) {
        setError(caught)
        break
      }
    }
    await props.onUploaded()
  }

  return (
    <div
      class={`dropzone ${over ? 'over' : ''}`}
      data-testid="dropzone"
      onDragOver={(event) => (event.preventDefault(), setOver(true))}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.preventDefault()
        setOver(false)
        void send(event.dataTransfer?.files ?? null)
      }}
    >
      <label>
        Drop files here or <span class="linklike">choose files</span>
        <input
          type="file"
          name="upload"
          multiple
          hidden
          onChange={(event) => {
            const input = event.currentTarget
            void send(input.files).then(() => (input.value = ''))
          }}
        />
      </label>
      {uploads.map((upload) => (
        <div class="upload" key={upload.name}>
          <span>{upload.name}</span>
          <progress max={upload.total || 1} value={upload.sent} />
          <span>
            {upload.done ? 'done' : `${formatBytes(upload.sent)} of ${formatBytes(upload.total)}`}
          </span>
        </div>
      ))}
      <ErrorBox error={error} />
    </div>
  )
}
