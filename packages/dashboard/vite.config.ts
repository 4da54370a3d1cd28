import { defineConfig } from 'vite'
import preact from '@preact/preset-vite'

// Served by the server at /ui: every asset is built in (no CDN), hashed names are cached forever.
export default defineConfig({
  base: '/ui/',
  plugins: [preact()],
  build: { outDir: 'dist', assetsDir: 'assets', emptyOutDir: true, sourcemap: false },
})
