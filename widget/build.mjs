// Bundle the widget: dist/waymark.js (the core, one minified IIFE) and dist/waymark-feedback.js (the survey and
// policy UI, loaded by the core only when a delivery answer needs it); print each one's raw/min/gzip sizes.

import { build, transform } from 'esbuild'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url)))
const here = (p) => new URL(p, import.meta.url).pathname

// CSS files arrive in the bundle as one minified string each.
const cssText = {
  name: 'css-text',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await transform(readFileSync(args.path, 'utf8'), { loader: 'css', minify: true })
      return { contents: code.trim(), loader: 'text' }
    })
  }
}

// In the chunk, the modules the core already runs are taken from it (src/shared.js), never bundled twice.
const coreModules = {
  name: 'core-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\/(config|dom|i18n|render|styles|transport)\.js$/ }, () => ({ path: here('src/shared.js') }))
  }
}

const common = {
  bundle: true,
  format: 'iife',
  target: ['chrome90', 'firefox101', 'safari16.4'],
  legalComments: 'none',
  logLevel: 'warning'
}
const kb = (n) => (n / 1024).toFixed(1) + ' KB'

async function bundle(entry, outfile, plugins, define = {}) {
  const options = { ...common, entryPoints: [here(entry)], plugins, define }
  const raw = await build({ ...options, write: false })
  await build({ ...options, minify: true, outfile: here(outfile) })
  const min = readFileSync(here(outfile))
  console.log(
    `${outfile.padEnd(25)} raw ${kb(raw.outputFiles[0].contents.length)}  min ${kb(min.length)}  gzip ${kb(gzipSync(min, { level: 9 }).length)}`
  )
  return min
}

const chunk = await bundle('src/feedback.js', 'dist/waymark-feedback.js', [cssText, coreModules])
// The core asks for the chunk by its content hash: the server serves that URL as immutable, and a cached core
// never pairs with another build's chunk.
const digest = createHash('sha256').update(chunk).digest('hex').slice(0, 12)
await bundle('src/index.js', 'dist/waymark.js', [cssText], {
  __VERSION__: JSON.stringify(pkg.version),
  __FEEDBACK__: JSON.stringify(`waymark-feedback.${digest}.js`)
})

// The admin's bundle (dist/admin.js and dist/admin.css): htmx and uPlot vendored from npm, served by Waymark at
// /admin/static/ under a content-hashed URL. Not part of the widget: no host page ever loads it.
await build({
  ...common,
  entryPoints: [here('admin/index.js')],
  minify: true,
  outfile: here('dist/admin.js')
})
await build({
  bundle: true,
  entryPoints: [here('admin/admin.css')],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  outfile: here('dist/admin.css')
})
