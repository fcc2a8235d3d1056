// The public API on window.waymark: calls queued before the script loaded are replayed in order.

import * as capture from './capture.js'
import { config, configure } from './config.js'
import * as guides from './guides.js'
import { feedback, withFeedback } from './lazy.js'
import { overrideStrings, setStrings } from './i18n.js'
import { onRoute } from './router.js'
import { load, read, setVisitor, write } from './state.js'
import { OPT_OUT, clearQueue, enqueue, keyOf, optedOut, queue, schedule, setPrivacy, uid } from './transport.js'
import { supported } from './styles.js'

const w = (window.waymark = window.waymark || {})
let visitor = null
let tenant = null
let started = false
let asked = 0 // delivery requests: only the answer to the latest counts
const early = [] // events before there is a visitor (track() before initialize()): sent once there is one

const base64url = (o) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

function send(e, now) {
  if (optedOut()) return
  e.id = e.id || uid()
  e.ts = e.ts || new Date().toISOString()
  e.url = e.url || location.href
  if (!visitor) return early.push(e)
  e.visitor = visitor.id
  if (tenant) e.tenant = tenant.id
  return enqueue(e, now)
}

// FNV-1a: remembers which traits were sent without keeping them.
const hash = (s) => {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return (h >>> 0).toString(36)
}

/** `identify` (visitor) or `group` (tenant) with the metadata but the id, when it changed. */
function traits(type, o) {
  const t = Object.assign({}, o)
  delete t.id
  const h = hash(o.id + JSON.stringify(t))
  const sent = read(keyOf('sent')) || {}
  if (!Object.keys(t).length || sent[type] == h || !send({ type, traits: t })) return
  sent[type] = h
  write(keyOf('sent'), sent)
}

// Guide events leave at once: the next page's delivery answer should already know what the visitor did.
// A survey answer carries its own fields (score, comment, question, …) instead of step and props.
guides.setEmitter((type, run, props, step, answer) =>
  send(
    Object.assign({ type, guide: run.g.id, guide_version: run.g.version }, answer || { step: step == null ? run.step : step, props }),
    1
  )
)

/** Ask the server what this visitor may see on this page. */
function refresh() {
  if (!started || !visitor || !config.key) return
  const n = ++asked
  const p = new URLSearchParams({ key: config.key, visitor: visitor.id })
  if (tenant) p.set('tenant', tenant.id)
  p.set('url', location.href)
  p.set('locale', visitor.locale || navigator.language || '')
  p.set('meta', base64url({ visitor, tenant: tenant || {} }))
  if (config.identity) p.set('identity', config.identity)
  // No custom headers (a CORS simple request); revalidation is left to the HTTP cache and its ETag.
  fetch(config.base + '/api/v1/guides?' + p, { credentials: 'omit' })
    .then((r) => (r.ok ? r.json() : null))
    .then((d) => {
      setPrivacy(d) // first: it decides whether the guides' events are kept
      n == asked && setStrings(d)
      // Policies first: the other guides start once none is due (shown to opted-out visitors too).
      const who = { visitor: visitor.id, tenant: tenant && tenant.id }
      n == asked && d && supported() && withFeedback(d, (d) => n == asked && (feedback() ? feedback().take(d, who, (x) => guides.setGuides(x || d)) : guides.setGuides(d)))
    })
    .catch(() => setPrivacy(null))
}

function identify(v) {
  v = v && typeof v == 'object' ? v : { id: v }
  let id = v.id != null && v.id !== '' ? String(v.id) : visitor && visitor.id
  const anon = read(keyOf('anon'))
  // No id from the host: an anonymous one, stable on this browser.
  if (!id) write(keyOf('anon'), (id = anon || 'anon-' + uid()))
  if (visitor && visitor.id != id) guides.reset(), feedback() && feedback().reset()
  visitor = Object.assign(visitor && visitor.id == id ? visitor : {}, v, { id })
  setVisitor(id)
  early.splice(0).forEach(send)
  // Known at last: what this browser did anonymously was this visitor.
  if (anon && anon != id && send({ type: 'alias', previous: anon })) write(keyOf('anon'), null)
  traits('identify', visitor)
  refresh()
}

const api = {
  version: __VERSION__,

  initialize(o) {
    o = o || {}
    configure(o)
    if (o.strings) overrideStrings(o.strings)
    if (o.tenant && o.tenant.id != null) tenant = Object.assign({}, o.tenant, { id: String(o.tenant.id) })
    identify(o.visitor || visitor || {})
    if (tenant) traits('group', tenant)
    if (!started) {
      started = true
      onRoute(() => {
        capture.routeChanged()
        guides.routeChanged()
        refresh()
      })
      capture.start(send)
      schedule(1000) // events a previous page queued but could not send
      refresh()
    }
  },

  identify,

  track(name, props) {
    name = String(name).slice(0, 200)
    if (name) send({ type: 'track', name, props: props && typeof props == 'object' && !Array.isArray(props) ? props : {} })
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
    write(keyOf('anon'), null)
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
