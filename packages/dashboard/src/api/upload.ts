import type { FileInfo } from '@workspace-manager/protocol'
import { apiUrl, authHeaders } from './client.js'
import { ApiError, errorFromReply } from './errors.js'
import { signOut } from './session.js'

/**
 * Uploads `file` to `path` in a workspace with XMLHttpRequest, the browser
 * API that reports upload progress; `onProgress` gets bytes sent and total.
 */
export function uploadFile(
  workspaceId: string,
  path: string,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
): Promise<FileInfo> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(
      'PUT',
      apiUrl(`/v1/workspaces/${encodeURIComponent(workspaceId)}/files/content`, { path }),
    )
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value)
    xhr.setRequestHeader('content-type', 'application/octet-stream')
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.total || file.size)
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(JSON.parse(xhr.responseText) as FileInfo)
        return
      }
      if (xhr.status === 401) signOut()
      reject(errorFromReply(xhr.status, xhr.responseText))
    }
    xhr.onerror = () => reject(new ApiError(0, 0, 'the upload was cut off'))
    xhr.send(file)
  })
}
