// Local knowledge of the visitor's guides, kept in localStorage so it survives page loads.

import { config } from './config.js'

// When storage is unavailable (private mode, sandboxed frame) the page load still works from memory.
const mem = {}

export function read(key, fallback) {
  let v
  try {
    v = localStorage.getItem(key)
  } catch (e) {
    v = mem[key]
  }
  try {
    return v == null ? fallback : JSON.parse(v)
  } catch (e) {
    return fallback
  }
}

export function write(key, value) {
  const s = value == null ? null : JSON.stringify(value)
  mem[key] = s
  try {
    s == null ? localStorage.removeItem(key) : localStorage.setItem(key, s)
  } catch (e) {}
}

let visitorId = ''

export const setVisitor = (id) => (visitorId = id)

const key = () => 'waymark:' + config.key + ':' + visitorId

/** `{guides: {<id>: {status, step, at, snoozedUntil}}, lastAuto}` for the current visitor. */
export const load = () => read(key(), 0) || { guides: {}, lastAuto: 0 }

/** Record what the visitor just did with a guide (and, for automatic starts, the throttle clock). */
export function save(id, status, step, snoozedUntil, auto) {
  const s = load()
  const now = Date.now()
  s.guides[id] = { status, step, at: now, snoozedUntil: snoozedUntil || 0 }
  if (auto) s.lastAuto = now
  write(key(), s)
}
