import { useEffect, useState } from 'preact/hooks'
import { files, type FileInfo } from '../api/resources.js'
import { Busy, ErrorBox, useAction } from './common.js'

/** Files up to this size open in the editor; bigger ones are downloaded instead. */
export const EDITABLE_MAX_BYTES = 1024 * 1024

/** Views and edits one small text file. */
export function FileEditor(props: {
  workspaceId: string
  file: FileInfo
  onClose: () => void
  onSaved: () => Promise<void>
}) {
  const { workspaceId, file } = props
  const [text, setText] = useState<string | null>(null)
  const action = useAction()

  useEffect(() => {
    setText(null)
    void action.run(`Opening ${file.name}`, async () =>
      setText(await files.readText(workspaceId, file.path)),
    )
  }, [workspaceId, file.path])

  return (
    <div class="editor" data-testid="file-editor">
      <h3>{file.path}</h3>
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
      {text !== null && (
        <textarea
          name="content"
          spellcheck={false}
          rows={16}
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
        />
      )}
      <div class="toolbar">
        <button
          type="button"
          disabled={text === null || action.busy !== null}
          onClick={() =>
            void action.run(`Saving ${file.name}`, async () => {
              await files.write(workspaceId, file.path, text ?? '')
              await props.onSaved()
            })
          }
        >
          Save
        </button>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </div>
  )
}
