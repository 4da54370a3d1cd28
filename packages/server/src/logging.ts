/**
 * The server's pino logger: to a size-rotated file when WM_LOG_FILE or
 * WM_LOG_DIR is set (plus the console with WM_CONSOLE), to the console
 * otherwise. Files always get JSON lines; the console gets readable lines
 * when it is a terminal, JSON lines otherwise (a pipe, a log collector).
 * Request URLs are logged with secret query values masked.
 */
import path from 'node:path'
import fs from 'node:fs'
import pino, { type Logger, type DestinationStream } from 'pino'
import { isColorSupported, prettyFactory } from 'pino-pretty'
import { createStream } from 'rotating-file-stream'
import type { Config } from './config/index.js'

const REDACTED = '[REDACTED]'

/** Masks the values of `secretParams` in a request URL's query string. */
export function redactUrl(url: string, secretParams: readonly string[]): string {
  const queryStart = url.indexOf('?')
  if (queryStart === -1) return url
  const params = new URLSearchParams(url.slice(queryStart + 1))
  let changed = false
  for (const name of secretParams) {
    if (params.has(name)) {
      params.set(name, REDACTED)
      changed = true
    }
  }
  return changed ? `${url.slice(0, queryStart)}?${params.toString()}` : url
}

function rotatingFile(file: string, maxBytes: number, backupCount: number): DestinationStream {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const base = path.basename(file)
  // Classic numbered rotation (name, name.1, name.2, ...) like logrotate and
  // Python's RotatingFileHandler, which the seed's variables describe. In this
  // mode rotating-file-stream passes the rotation number as the first argument.
  const generator = (slot: number | Date | null) =>
    typeof slot === 'number' ? `${base}.${slot}` : base
  return createStream(generator as (time: number | Date, index?: number) => string, {
    path: path.dirname(file),
    size: `${maxBytes}B`,
    rotate: Math.max(backupCount, 1),
  }) as unknown as DestinationStream
}

/** Where console lines go, and whether a person reads them there. */
export interface ConsoleOptions {
  /** The console's stream; `process.stdout` unless given. */
  stdout?: { write(line: string): unknown; isTTY?: boolean }
  /** Whether `stdout` is a terminal; the stream's own `isTTY` unless given. */
  isTTY?: boolean
}

/**
 * The console's stream: on a terminal, each JSON line is rewritten by
 * pino-pretty (time, level, message, then the fields) as it is written, in
 * the same call, so nothing waits in a worker thread and the last lines
 * before an exit are not lost; elsewhere the JSON lines as they are.
 */
function consoleStream(options: ConsoleOptions): DestinationStream {
  const stdout = options.stdout ?? process.stdout
  if (!(options.isTTY ?? stdout.isTTY === true)) return stdout as DestinationStream
  const prettify = prettyFactory({
    colorize: isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,version',
    singleLine: true,
  })
  return { write: (line: string) => stdout.write(prettify(line)) }
}

/** Builds the logger described by `config.logging`; `consoleOptions` stand in for the process's stdout in tests. */
export function createLogger(config: Config, consoleOptions: ConsoleOptions = {}): Logger {
  const { level, file, maxBytes, backupCount, console } = config.logging
  const secretParams = [config.uploadTokens.queryParam, 'token', 'api_key']
  const streams: pino.StreamEntry[] = []
  if (file) streams.push({ level: 'trace', stream: rotatingFile(file, maxBytes, backupCount) })
  if (!file || console) streams.push({ level: 'trace', stream: consoleStream(consoleOptions) })
  return pino(
    {
      level,
      base: { service: 'wm-server', version: config.version },
      // Headers are never logged whole; these paths cover objects that code logs on purpose.
      redact: {
        paths: [
          'req.headers.authorization',
          `req.headers["${config.auth.header}"]`,
          `req.headers["${config.uploadTokens.header}"]`,
          'apiKey',
          'token',
        ],
        censor: REDACTED,
      },
      serializers: {
        req(request: { method: string; url: string; id: string; ip?: string }) {
          return {
            id: request.id,
            method: request.method,
            url: redactUrl(request.url, secretParams),
            remoteAddress: request.ip,
          }
        },
        err: pino.stdSerializers.err,
      },
    },
    pino.multistream(streams),
  )
}
