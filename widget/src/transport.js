// Events: batched, kept in localStorage until the server acknowledges them, flushed on page hide.

import { config } from './config.js'
import { read, write } from './state.js'

const MAX_QUEUED = 500
const FLUSH_AT = 20
const BATCH_CHARS = 48000 // keepalive requests share a 64 KB budget
export const OPT_OUT = 'waymark:optout'

const inflight = new Set()
let timer = 0
let backoff = 0
let nextTry = 0

const queueKey = () => 'waymark:' + config.key + ':queue'
export const queue = () => read(queueKey(), [])
export const optedOut = () => !!read(OPT_OUT)
export const clearQueue = () => write(queueKey(), null)

export function uid() {
  const c = crypto
  if (c.randomUUID) return c.randomUUID()
  return Array.from(c.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join('')
}

export function enqueue(event) {
  if (optedOut()) return
  // Re-read before writing: another tab may have queued or sent events meanwhile.
  const q = queue()
  q.push(event)
  write(queueKey(), q.slice(-MAX_QUEUED))
  q.length >= FLUSH_AT ? flush() : schedule(1000)
}

export function schedule(ms) {
  if (!timer) timer = setTimeout(flush, ms)
}

/** Send what is queued and not already on its way; `now` skips the retry wait (page hide). */
export function flush(now) {
  clearTimeout(timer)
  timer = 0
  if (!config.key || optedOut()) return
  const wait = nextTry - Date.now()
  if (!now && wait > 0) return schedule(wait)
  const events = []
  let size = 0
  for (const e of queue()) {
    if (inflight.has(e.id)) continue
    size += JSON.stringify(e).length
    if (events.length && size > BATCH_CHARS) break
    events.push(e)
  }
  if (!events.length) return
  const ids = events.map((e) => e.id)
  ids.forEach((id) => inflight.add(id))
  const settle = (ok) => {
    ids.forEach((id) => inflight.delete(id))
    if (ok) {
      write(queueKey(), queue().filter((e) => ids.indexOf(e.id) < 0))
      backoff = nextTry = 0
      if (queue().length) schedule(0)
    } else {
      backoff = Math.min(backoff * 2 || 1000, 60000)
      nextTry = Date.now() + backoff
      schedule(backoff)
    }
  }
  fetch(config.base + '/api/v1/events?key=' + encodeURIComponent(config.key), {
    method: 'POST',
    body: JSON.stringify({ sent_at: new Date().toISOString(), events }),
    headers: { 'Content-Type': 'text/plain' },
    keepalive: true,
    credentials: 'omit'
  }).then(
    // Accepted, or refused for good (4xx): either way these events are done. 429/5xx: try again.
    (r) => settle(r.status < 500 && r.status != 429),
    () => settle(false)
  )
}

addEventListener('pagehide', () => flush(1))
addEventListener('online', () => flush(1))
document.addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && flush(1))
