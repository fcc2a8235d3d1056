// What the widget records by itself: page views, clicks and visible time on each page.

import { clicked, describe } from './element.js'
import { onHide } from './transport.js'

const BEAT = 30000 // a `time` event at most this often while the page stays visible

let emit = null // (event) => void, set by start()
let url = '' // the page as last reported
let since = 0 // when the visible time not yet reported began (0: hidden, nothing to report)
let beat = 0

const visible = () => document.visibilityState != 'hidden'

// Count visible time from now (unless hidden, or `stop`: the page is being hidden or left).
function clock(stop) {
  since = !stop && visible() ? Date.now() : 0
  clearTimeout(beat)
  beat = since && setTimeout(time, BEAT)
}

/** Report the visible time on `url` since the last `time` or `page` event. */
function time(stop) {
  const ms = since && Date.now() - since
  clock(stop)
  if (ms > 0) emit({ type: 'time', url, ms })
}

function page(referrer) {
  url = location.href
  clock()
  emit({ type: 'page', url, title: document.title, referrer })
}

/** Begin (once the visitor is known): the first page view, then clicks and time. */
export function start(fn) {
  emit = fn
  page(document.referrer)
  onHide(() => time(1))
  document.addEventListener('visibilitychange', () => visible() && !since && clock())
  let forwarded = null
  document.addEventListener(
    'click',
    (e) => {
      // The widget's own clicks are guide events.
      const el = e.target && e.target.closest && !e.target.closest('#waymark-root') && clicked(e.target)
      if (!el || el == forwarded) return
      // A label passes its click on to its field, within this task: one click, recorded once.
      if (el.control) {
        forwarded = el.control
        setTimeout(() => (forwarded = null))
      }
      emit({ type: 'click', element: describe(el) })
    },
    true
  )
}

/** After an SPA navigation to another URL: the time spent on the last one, then this page view. */
export function routeChanged() {
  if (!emit) return
  const from = url
  time()
  page(from)
}
