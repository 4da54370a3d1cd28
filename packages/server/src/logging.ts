/**
 * The server's pino logger: to a size-rotated file when WM_LOG_FILE or
 * WM_LOG_DIR is set (plus the console with WM_CONSOLE), to the console
 * otherwise. Request URLs are logged with secret query values masked.
 */
import path from 'node:path'
import fs from 'node:fs'
import pino, { type Logger, type DestinationStream } from 'pino'
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

/** Builds the logger described by `config.logging`. */
export function createLogger(config: Config): Logger {
  const { level, file, maxBytes, backupCount, console } = config.logging
  const secretParams = [config.uploadTokens.queryParam, 'token', 'api_key']
  const streams: pino.StreamEntry[] = []
  if (file) streams.push({ level: 'trace', stream: rotatingFile(file, maxBytes, backupCount) })
  if (!file || console) streams.push({ level: 'trace', stream: process.stdout })
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
