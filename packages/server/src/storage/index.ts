/**
 * Workspace storage: one host directory per workspace and every file
 * operation on it, safe against symlinks and directory swaps by a sandbox.
 */
export { WorkspaceFiles, type WorkspaceFilesOptions } from './files.js'
export type { OpenedFile } from './content.js'
export { UPLOAD_PREFIX } from './content.js'
export { COPY_PREFIX } from './transfer.js'
export { MAX_NAME_BYTES, MAX_PATH_BYTES, parsePath, type ParsedPath } from './path.js'
export { MAX_TREE_DEPTH } from './tree.js'
