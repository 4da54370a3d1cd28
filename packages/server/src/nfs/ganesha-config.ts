/**
 * The files the NFS manager writes for NFS-Ganesha and its private D-Bus
 * daemon. Pure functions of their inputs, so the tests can read what ganesha
 * is told without starting it.
 */
import path from 'node:path'

/** Where one server instance keeps everything NFS: `WM_DATA_DIR/nfs`. */
export interface NfsPaths {
  dir: string
  config: string
  exportsDir: string
  log: string
  pidFile: string
  /** NFSv4 client recovery records (ganesha's RecoveryRoot). */
  recoveryDir: string
  /** Kerberos credential cache directory ganesha insists on creating, even with krb5 off. */
  runDir: string
  busConfig: string
  busPidFile: string
}

export function nfsPaths(dataDir: string): NfsPaths {
  const dir = path.join(dataDir, 'nfs')
  return {
    dir,
    config: path.join(dir, 'ganesha.conf'),
    exportsDir: path.join(dir, 'exports'),
    log: path.join(dir, 'ganesha.log'),
    pidFile: path.join(dir, 'ganesha.pid'),
    recoveryDir: path.join(dir, 'recovery'),
    runDir: path.join(dir, 'run'),
    busConfig: path.join(dir, 'dbus.conf'),
    busPidFile: path.join(dir, 'dbus.pid'),
  }
}

/** One workspace's export. */
export interface ExportSpec {
  exportId: number
  workspaceId: string
  /** Host directory of the workspace (real path, no symlink on the way). */
  dir: string
}

/** What every export shares. */
export interface ExportPolicy {
  clients: string[]
  /** Every client user is mapped to this uid/gid: the user the server runs as. */
  anonUid: number
  anonGid: number
}

/** NFSv4 pseudo path (and NFSv3 mount path) of a workspace. */
export function pseudoPath(workspaceId: string): string {
  return `/workspaces/${workspaceId}`
}

/** A double-quoted ganesha config string; refuses what its parser cannot carry. */
export function quote(value: string): string {
  if (/["\\\n\r\0]/.test(value)) {
    throw new Error(`cannot put ${JSON.stringify(value)} in a ganesha configuration`)
  }
  return `"${value}"`
}

/**
 * One EXPORT block. Access is none by default and read-write only for the
 * CLIENT list. Every request runs as `anonUid:anonGid` (all_squash), the
 * same authority the HTTP file API has, and only from a privileged source
 * port (< 1024, as kernel NFS clients use), so an unprivileged local user
 * cannot speak NFS to it directly; NLM, RQUOTA and UDP are off.
 */
export function renderExport(spec: ExportSpec, policy: ExportPolicy): string {
  return [
    `# Workspace ${spec.workspaceId}; written by wm-server, rewritten at every start.`,
    'EXPORT {',
    `  Export_Id = ${spec.exportId};`,
    `  Path = ${quote(spec.dir)};`,
    `  Pseudo = ${quote(pseudoPath(spec.workspaceId))};`,
    '  Protocols = 3, 4;',
    '  Transports = TCP;',
    '  SecType = sys;',
    '  Access_Type = None;',
    '  Squash = all_squash;',
    `  Anonymous_Uid = ${policy.anonUid};`,
    `  Anonymous_Gid = ${policy.anonGid};`,
    '  PrivilegedPort = true;',
    '  Delegations = None;',
    '  CLIENT {',
    `    Clients = ${policy.clients.join(', ')};`,
    '    Access_Type = RW;',
    '  }',
    '  FSAL {',
    '    Name = VFS;',
    '  }',
    '}',
    '',
  ].join('\n')
}

/** What the main configuration needs beyond paths. */
export interface GaneshaOptions {
  host: string
  port: number
  mountPort: number
  pluginsDir: string
  /** Export files to %include. */
  exportFiles: string[]
}

/**
 * The main configuration: listen address and ports, NFSv3 and NFSv4.0-4.2
 * over TCP, no NLM/RQUOTA/UDP, no grace period (exports are usable the
 * moment ganesha is up), every state file under the data dir, and one
 * %include per export so a restart serves the current set.
 */
export function renderGaneshaConfig(paths: NfsPaths, options: GaneshaOptions): string {
  return [
    '# Written by wm-server at every start of ganesha.nfsd; edits are overwritten.',
    'NFS_CORE_PARAM {',
    `  Bind_Addr = ${options.host};`,
    `  NFS_Port = ${options.port};`,
    `  MNT_Port = ${options.mountPort};`,
    '  Protocols = 3, 4;',
    '  Enable_NLM = false;',
    '  Enable_RQUOTA = false;',
    '  Enable_UDP = false;',
    // The NFSv3 mount path is the Pseudo path, the same as NFSv4's.
    '  mount_path_pseudo = true;',
    `  Plugins_Dir = ${quote(options.pluginsDir)};`,
    '}',
    'NFSv4 {',
    `  RecoveryRoot = ${quote(paths.recoveryDir)};`,
    '  Graceless = true;',
    '  Minor_Versions = 0, 1, 2;',
    '  Only_Numeric_Owners = true;',
    '}',
    'NFS_KRB5 {',
    '  Active_krb5 = false;',
    `  CCacheDir = ${quote(paths.runDir)};`,
    '}',
    'EXPORT_DEFAULTS {',
    '  Access_Type = None;',
    '}',
    'LOG {',
    '  Default_Log_Level = EVENT;',
    '}',
    ...options.exportFiles.map((file) => `%include ${quote(file)}`),
    '',
  ].join('\n')
}

function xml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

/**
 * A private D-Bus daemon for this server's ganesha alone (ganesha takes its
 * bus from DBUS_SYSTEM_BUS_ADDRESS): no system bus is needed or touched, and
 * several server instances on one host do not fight over org.ganesha.nfsd.
 * Only the daemon's own user (the server's) may connect.
 */
export function renderBusConfig(address: string): string {
  return [
    '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"',
    ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
    '<busconfig>',
    `  <listen>${xml(address)}</listen>`,
    '  <auth>EXTERNAL</auth>',
    '  <policy context="default">',
    '    <allow own="org.ganesha.nfsd"/>',
    '    <allow send_destination="*" eavesdrop="false"/>',
    '    <allow receive_sender="*"/>',
    '  </policy>',
    '</busconfig>',
    '',
  ].join('\n')
}
