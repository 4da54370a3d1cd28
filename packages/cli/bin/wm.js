#!/usr/bin/env node
// The installed `wm` command. A committed file rather than dist/main.js itself: npm links a
// package's bin only if the file exists when it installs, which is before the first build, so
// `npx wm` from the repository would otherwise find no command.
import { existsSync } from 'node:fs'
import process from 'node:process'
import { URL } from 'node:url'

const main = new URL('../dist/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write(
    'wm is not built yet: run `npm run build` (or `npm start`) in the repository first\n',
  )
  process.exit(1)
}
await import(main.href)
