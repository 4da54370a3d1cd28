import { useState } from 'preact/hooks'
import { files, type FileInfo } from '../api/resources.js'
import { navigate } from '../router.js'
import {
  Busy,
  ConfirmButton,
  ErrorBox,
  formatBytes,
  formatTime,
  useAction,
  usePolled,
} from './common.js'
import { FileEditor, EDITABLE_MAX_BYTES } from './FileEditor.js'
import { UploadZone } from './UploadZone.js'

/** `dir/name`, or `name` at the root. */
export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name
}

function parentOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''
}

/** Saves a blob under `name` through a temporary link (the browser's download). */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** The files of one directory of a workspace, with every file operation. */
export function FileBrowser({ workspaceId, path }: { workspaceId: string; path: string }) {
  const listing = usePolled(() => files.list(workspaceId, path), [workspaceId, path])
  const action = useAction()
  const [editing, setEditing] = useState<FileInfo | null>(null)
  const [renaming, setRenaming] = useState<string | null>(null)
  const [newName, setNewName] = useState('')
  const [folder, setFolder] = useState('')

  const go = (dir: string) => navigate({ page: 'workspace', id: workspaceId, path: dir })
  const parts = path ? path.split('/') : []

  async function makeFolder(event: Event) {
    event.preventDefault()
    const ok = await action.run(`Creating folder ${folder}`, async () => {
      await files.mkdir(workspaceId, joinPath(path, folder))
      await listing.reload()
    })
    if (ok) setFolder('')
  }

  async function rename(entry: FileInfo) {
    // A name with slashes moves the entry, relative to the workspace root when it starts with one.
    const destination = newName.startsWith('/') ? newName.slice(1) : joinPath(path, newName)
    const ok = await action.run(`Moving ${entry.name}`, async () => {
      await files.move(workspaceId, entry.path, destination)
      await listing.reload()
    })
    if (ok) setRenaming(null)
  }

  return (
    <div class="card files" data-testid="file-browser">
      <h2>Files</h2>
      <p class="crumbs">
        <a href="#" onClick={(event) => (event.preventDefault(), go(''))}>
          /workspace
        </a>
        {parts.map((part, index) => (
          <span key={index}>
            {' / '}
            <a
              href="#"
              onClick={(event) => (event.preventDefault(), go(parts.slice(0, index + 1).join('/')))}
            >
              {part}
            </a>
          </span>
        ))}
      </p>
      <div class="toolbar">
        <form onSubmit={makeFolder} class="inline">
          <input
            name="folder"
            placeholder="New folder name"
            value={folder}
            onInput={(event) => setFolder(event.currentTarget.value)}
            required
          />
          <button type="submit" disabled={action.busy !== null}>
            Create folder
          </button>
        </form>
        <button type="button" onClick={() => void listing.reload()}>
          Refresh
        </button>
      </div>
      <UploadZone workspaceId={workspaceId} dir={path} onUploaded={listing.reload} />
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
      <ErrorBox error={listing.error} />
      {listing.value === undefined && !listing.error && <Busy label="Loading files" />}
      {listing.value && (
        <table class="list" data-testid="file-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Size</th>
              <th>Modified</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {path && (
              <tr>
                <td colSpan={4}>
                  <a href="#" onClick={(event) => (event.preventDefault(), go(parentOf(path)))}>
                    ..
                  </a>
                </td>
              </tr>
            )}
            {listing.value.length === 0 && (
              <tr>
                <td colSpan={4} class="empty">
                  Empty folder. Drop files above to upload.
                </td>
              </tr>
            )}
            {listing.value.map((entry) => (
              <tr key={entry.path} data-file={entry.name}>
                <td>
                  {renaming === entry.path ? (
                    <form
                      class="inline"
                      onSubmit={(event) => (event.preventDefault(), void rename(entry))}
                    >
                      <input
                        name="new-name"
                        value={newName}
                        onInput={(event) => setNewName(event.currentTarget.value)}
                      />
                      <button type="submit">Move</button>
                      <button type="button" onClick={() => setRenaming(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : entry.type === 'directory' ? (
                    <a
                      href="#"
                      class="dir"
                      onClick={(event) => (event.preventDefault(), go(entry.path))}
                    >
                      {entry.name}/
                    </a>
                  ) : entry.type === 'symlink' ? (
                    <span class="symlink" title="symbolic link (not followed)">
                      {entry.name} <span class="tag">symlink</span>
                    </span>
                  ) : (
                    <span class="file">{entry.name}</span>
                  )}
                </td>
                <td>{entry.type === 'directory' ? '' : formatBytes(entry.size)}</td>
                <td>{formatTime(entry.modified_at)}</td>
                <td class="actions">
                  {entry.type === 'file' && (
                    <button
                      type="button"
                      class="small"
                      onClick={() =>
                        void action.run(`Downloading ${entry.name}`, async () =>
                          saveBlob(await files.readBlob(workspaceId, entry.path), entry.name),
                        )
                      }
                    >
                      Download
                    </button>
                  )}
                  {entry.type === 'file' && entry.size <= EDITABLE_MAX_BYTES && (
                    <button type="button" class="small" onClick={() => setEditing(entry)}>
                      Edit
                    </button>
                  )}
                  <button
                    type="button"
                    class="small"
                    onClick={() => (setRenaming(entry.path), setNewName(entry.name))}
                  >
                    Rename
                  </button>
                  <ConfirmButton
                    class="small"
                    label="Delete"
                    onConfirm={() =>
                      void action.run(`Deleting ${entry.name}`, async () => {
                        await files.delete(workspaceId, entry.path, entry.type === 'directory')
                        await listing.reload()
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <FileEditor
          workspaceId={workspaceId}
          file={editing}
          onClose={() => setEditing(null)}
          onSaved={listing.reload}
        />
      )}
    </div>
  )
}
