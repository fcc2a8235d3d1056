// Events: batched, kept in localStorage until the server acknowledges them, flushed on page hide.

import { config } from './config.js'
import { read, write } from './state.js'

const MAX_QUEUED = 1000
const BATCH = 20 // events per request
const KEEPALIVE = 60000 // bytes of keepalive bodies in flight: browsers allow 64 KB per page
export const OPT_OUT = 'waymark:optout'

const inflight = new Set()
const hiding = [] // called when the page is hidden, before the last flush
let timer = 0
let due = 0
let backoff = 0
let nextTry = 0
let busy = 0 // a normal (not page-hide) request is on its way: one at a time
let kept = 0 // keepalive bytes in flight
// 0 until the first delivery answer of this page load: its `privacy` decides whether anything is
// sent (events wait in the queue meanwhile); 1 send; 2 send nothing, queue nothing.
let gate = 0

export const keyOf = (s) => 'waymark:' + config.key + ':' + s
export const queue = () => read(keyOf('queue'), [])
export const optedOut = () => !!read(OPT_OUT) || gate == 2
export const onHide = (fn) => hiding.push(fn)

/** Forget unsent events, and which traits were sent (they may never have left). */
export function clearQueue() {
  write(keyOf('queue'), null)
  write(keyOf('sent'), null)
}

export function uid() {
  const c = crypto
  if (c.randomUUID) return c.randomUUID()
  return Array.from(c.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join('')
}

/** Queue an event (`now`: send without waiting for a batch); false when nothing may be collected. */
export function enqueue(event, now) {
  if (optedOut()) return false
  // Re-read before writing: another tab may have queued or sent events meanwhile.
  const q = queue()
  const over = q.push(event) - MAX_QUEUED
  if (over > 0) {
    q.splice(0, over)
    write(keyOf('dropped'), read(keyOf('dropped'), 0) + over)
  }
  write(keyOf('queue'), q)
  q.length >= BATCH ? flush() : schedule(now ? 0 : 1000) // `now`: with what else this task queues
  return true
}

/** Flush in `ms`, or sooner if a flush is already due sooner. */
export function schedule(ms) {
  if (timer && due <= Date.now() + ms) return
  clearTimeout(timer)
  due = Date.now() + ms
  timer = setTimeout(flush, ms)
}

/**
 * Apply the privacy settings of a delivery answer `d` (null: none could be had, the last
 * known ones count): the tenant opted out, or Do Not Track honoured, means no events at all.
 */
export function setPrivacy(d) {
  if (!d && gate) return
  const p = (d ? d.privacy : read(keyOf('privacy'))) || {}
  if (d) write(keyOf('privacy'), d.privacy || null)
  const dnt = navigator.doNotTrack == '1' || window.doNotTrack == '1'
  gate = p.opted_out || (p.honor_dnt && dnt) ? 2 : 1
  gate > 1 ? clearQueue() : schedule(1000)
}

// The next events not already on their way: at most BATCH, and small enough for keepalive.
function batch() {
  const events = []
  let size = 0
  for (const e of queue()) {
    if (inflight.has(e.id)) continue
    size += JSON.stringify(e).length * 1.1 // UTF-8 may be wider than UTF-16 units
    if (events.length && size > KEEPALIVE - 200) break
    if (events.push(e) == BATCH) break
  }
  return events
}

/** Send what is queued and not already on its way; `hidden` (page hide) skips the retry wait. */
export function flush(hidden) {
  clearTimeout(timer)
  timer = 0
  if (!config.key || optedOut() || !gate) return
  // The page may be going away: everything that fits in the keepalive budget leaves now.
  if (hidden === 1) {
    while (post(batch(), 1));
    return
  }
  const wait = nextTry - Date.now()
  if (wait > 0) return schedule(wait)
  if (!busy) post(batch())
}

function post(events, hidden) {
  if (!events.length) return
  const body = JSON.stringify({ sent_at: new Date().toISOString(), events, identity: config.identity })
  const size = new Blob([body]).size
  const keepalive = kept + size <= KEEPALIVE
  if (hidden && !keepalive) return // left queued for the next page
  if (keepalive) kept += size
  busy = busy || !hidden
  const ids = events.map((e) => e.id)
  ids.forEach((id) => inflight.add(id))
  const settle = (status, after) => {
    if (keepalive) kept -= size
    if (!hidden) busy = 0
    ids.forEach((id) => inflight.delete(id))
    if (status && status < 500 && status != 429) {
      // Accepted, or refused for good (other 4xx): either way these events are done.
      write(keyOf('queue'), queue().filter((e) => ids.indexOf(e.id) < 0))
      backoff = nextTry = 0
      if (queue().length) schedule(0)
    } else {
      // Network error, 429, 5xx: again later, 1 s, 2 s, 4 s … 60 s, or when the server says.
      backoff = Math.min(backoff * 2 || 1000, 60000)
      after = +after || (Date.parse(after) - Date.now()) / 1000 || 0
      nextTry = Date.now() + Math.max(backoff, after * 1000)
      schedule(nextTry - Date.now())
    }
  }
  fetch(config.base + '/api/v1/events?key=' + encodeURIComponent(config.key), {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/plain' },
    keepalive,
    credentials: 'omit'
  }).then(
    (r) => settle(r.status, r.headers.get('Retry-After')),
    () => settle(0)
  )
  return 1
}

const hide = () => {
  hiding.forEach((fn) => fn())
  flush(1)
}
addEventListener('pagehide', hide)
document.addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && hide())
addEventListener('online', () => {
  nextTry = 0
  flush()
})
