// Bundle src/index.js into dist/waymark.js (one minified IIFE) and print its raw/min/gzip sizes.

import { build, transform } from 'esbuild'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url)))
const here = (p) => new URL(p, import.meta.url).pathname

// styles.css arrives in the bundle as one minified string.
const cssText = {
  name: 'css-text',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await transform(readFileSync(args.path, 'utf8'), { loader: 'css', minify: true })
      return { contents: code.trim(), loader: 'text' }
    })
  }
}

const common = {
  entryPoints: [here('src/index.js')],
  bundle: true,
  format: 'iife',
  target: ['chrome90', 'firefox101', 'safari16.4'],
  define: { __VERSION__: JSON.stringify(pkg.version) },
  plugins: [cssText],
  legalComments: 'none',
  logLevel: 'warning'
}

const raw = await build({ ...common, write: false })
await build({ ...common, minify: true, outfile: here('dist/waymark.js') })

const min = readFileSync(here('dist/waymark.js'))
const kb = (n) => (n / 1024).toFixed(1) + ' KB'
console.log(
  `dist/waymark.js  raw ${kb(raw.outputFiles[0].contents.length)}  min ${kb(min.length)}  gzip ${kb(gzipSync(min, { level: 9 }).length)}`
)
