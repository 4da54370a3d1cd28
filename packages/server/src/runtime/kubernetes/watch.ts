import { type CoreV1Api, type KubeConfig, type V1Pod, Watch } from '@kubernetes/client-node'
import { LABELS, type RuntimeEvent } from '../types.js'
import { podExit } from './pod-state.js'

/** What a sandbox pod looked like when last seen. */
interface Seen {
  sandboxId: string
  ended: boolean
  exitCode: number | null
}

const MAX_BACKOFF_MS = 30_000

/**
 * Follows the pods of `selector` in `namespace` and reports `exited` when a
 * pod's sandbox container terminates or the pod goes (whoever deleted it),
 * `oom` before it when the kernel killed it for memory. A list gives the
 * state to start from and the resourceVersion to watch from, so nothing that
 * happens after the list is missed; when the watch drops it resumes from the
 * last version seen, and lists again (comparing with what it knew, so that
 * pods gone meanwhile are reported) when that version has expired. Retries
 * back off from one second to thirty. An exit may be reported twice.
 */
export function watchPods(
  kc: KubeConfig,
  core: CoreV1Api,
  namespace: string,
  selector: string,
  listener: (event: RuntimeEvent) => void,
): () => void {
  const known = new Map<string, Seen>()
  let stopped = false
  let abort: AbortController | undefined
  let version: string | undefined
  let backoff = 1000
  let timer: NodeJS.Timeout | undefined

  const emit = (seen: Seen, oom: boolean) => {
    if (stopped) return
    if (oom) listener({ type: 'oom', sandboxId: seen.sandboxId, exitCode: null })
    listener({ type: 'exited', sandboxId: seen.sandboxId, exitCode: seen.exitCode })
  }

  /** Takes the pod's new state; reports its end the first time it is seen ended. */
  const update = (pod: V1Pod) => {
    const uid = pod.metadata?.uid
    const sandboxId = pod.metadata?.labels?.[LABELS.sandbox]
    if (!uid || !sandboxId) return
    const exit = podExit(pod)
    const before = known.get(uid)
    const seen: Seen = { sandboxId, ended: exit !== undefined, exitCode: exit?.exitCode ?? null }
    known.set(uid, seen)
    if (seen.ended && !before?.ended) emit(seen, exit?.oomKilled ?? false)
  }

  const gone = (uid: string) => {
    const seen = known.get(uid)
    known.delete(uid)
    // Deleted while its container still ran (or before it ended): the main process is gone now.
    if (seen && !seen.ended) emit(seen, false)
  }

  const retry = (relist: boolean) => {
    if (stopped) return
    if (relist) version = undefined
    timer = setTimeout(connect, backoff)
    timer.unref()
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
  }

  const list = async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: selector })
    const present = new Set<string>()
    for (const pod of pods.items) {
      if (pod.metadata?.uid) present.add(pod.metadata.uid)
      update(pod)
    }
    for (const uid of [...known.keys()]) if (!present.has(uid)) gone(uid)
    version = pods.metadata?.resourceVersion
  }

  const connect = async () => {
    if (stopped) return
    try {
      if (!version) await list()
      const watcher = new Watch(kc)
      let expired = false
      abort = await watcher.watch(
        `/api/v1/namespaces/${namespace}/pods`,
        { labelSelector: selector, resourceVersion: version, allowWatchBookmarks: true },
        (phase: string, object: V1Pod & { code?: number }) => {
          backoff = 1000
          if (phase === 'ERROR') {
            // 410 Gone: the version is too old to resume from.
            expired = true
            return
          }
          if (object.metadata?.resourceVersion) version = object.metadata.resourceVersion
          if (phase === 'BOOKMARK') return
          if (phase === 'DELETED') {
            update(object)
            if (object.metadata?.uid) gone(object.metadata.uid)
          } else {
            update(object)
          }
        },
        (error: unknown) => {
          // The API server ends watches after a while; errors and expiry lead to a fresh list.
          const status = (error as { statusCode?: number } | null)?.statusCode
          retry(expired || status === 410)
        },
      )
      if (stopped) abort.abort()
    } catch {
      retry(true)
    }
  }

  void connect()
  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
    abort?.abort()
  }
}
