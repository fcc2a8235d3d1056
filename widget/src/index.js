// The public API on window.waymark: calls queued before the script loaded are replayed in order.

import { config, configure } from './config.js'
import * as guides from './guides.js'
import { onRoute } from './router.js'
import { load, read, setVisitor, write } from './state.js'
import { OPT_OUT, clearQueue, enqueue, queue, schedule, uid } from './transport.js'
import { supported } from './styles.js'

const w = (window.waymark = window.waymark || {})
let visitor = null
let tenant = null
let started = false
let asked = 0 // delivery requests: only the answer to the latest counts
const early = [] // track() before initialize(): sent once there is a visitor

const base64url = (o) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

function send(e) {
  e.id = e.id || uid()
  e.ts = e.ts || new Date().toISOString()
  e.url = e.url || location.href
  if (!visitor) return early.push(e)
  e.visitor = visitor.id
  if (tenant) e.tenant = tenant.id
  enqueue(e)
}

guides.setEmitter((type, run, props, step) =>
  send({ type, guide: run.g.id, guide_version: run.g.version, step: step == null ? run.step : step, props })
)

/** Ask the server what this visitor may see on this page. */
function refresh() {
  if (!started || !visitor || !config.key || !supported()) return
  const n = ++asked
  const p = new URLSearchParams({ key: config.key, visitor: visitor.id })
  if (tenant) p.set('tenant', tenant.id)
  p.set('url', location.href)
  p.set('locale', visitor.locale || navigator.language || '')
  p.set('meta', base64url({ visitor, tenant: tenant || {} }))
  // No custom headers (a CORS simple request); revalidation is left to the HTTP cache and its ETag.
  fetch(config.base + '/api/v1/guides?' + p, { credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : null))
    .then((d) => n == asked && d && guides.setGuides(d))
    .catch(() => {})
}

function identify(v) {
  v = v && typeof v == 'object' ? v : { id: v }
  let id = v.id != null && v.id !== '' ? String(v.id) : visitor && visitor.id
  if (!id) {
    // No id from the host: an anonymous one, stable on this browser.
    const k = 'waymark:' + config.key + ':anon'
    id = read(k) || 'anon-' + uid()
    write(k, id)
  }
  if (visitor && visitor.id != id) guides.reset()
  visitor = Object.assign(visitor && visitor.id == id ? visitor : {}, v, { id })
  setVisitor(id)
  early.splice(0).forEach(send)
  refresh()
}

const api = {
  version: __VERSION__,

  initialize(o) {
    o = o || {}
    configure(o)
    if (o.tenant && o.tenant.id != null) tenant = Object.assign({}, o.tenant, { id: String(o.tenant.id) })
    if (!started) {
      started = true
      onRoute(() => {
        guides.routeChanged()
        refresh()
      })
      schedule(1000) // events a previous page queued but could not send
    }
    identify(o.visitor || visitor || {})
  },

  identify,

  track(name, props) {
    send({ type: 'track', name: String(name), props: props || {} })
  },

  showGuide(id) {
    guides.showGuide(String(id), 'api')
  },

  optOut() {
    write(OPT_OUT, 1)
    clearQueue()
    early.length = 0
  },

  optIn() {
    write(OPT_OUT, null)
  },

  /** Forget the visitor (logout): guides close, the next initialize/identify starts afresh. */
  reset() {
    guides.reset()
    write('waymark:' + config.key + ':anon', null)
    visitor = tenant = null
  },

  _debug: { state: load, queue }
}

if (!w.version) {
  const pending = w._q || []
  Object.assign(w, api)
  delete w._q
  for (const [m, args] of pending) {
    try {
      if (typeof api[m] == 'function') api[m](...args)
    } catch (e) {
      console.error('waymark.' + m, e)
    }
  }
}
