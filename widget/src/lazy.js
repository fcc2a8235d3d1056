// The survey and policy UI live in a chunk of their own, loaded only when a delivery answer holds one of them.

import { config } from './config.js'
import { h } from './dom.js'
import { english, t } from './i18n.js'
import { open } from './render.js'
import { addCss } from './styles.js'
import { optedOut, uid } from './transport.js'

const feedbackStep = (s) => /^(nps|poll)$/.test(s.type)
const needs = (g) => g.kind == 'policy' || g.steps.some(feedbackStep)
let loading

/** The chunk's {survey, take, reset} once loaded. */
export const feedback = () => window.waymark._fb // window.waymark: made by index.js, after this module ran

/**
 * Call `go(d)` with the chunk loaded when `d` needs it. Without the chunk (it could not load), guides that need
 * it are left out rather than shown half-built.
 */
export function withFeedback(d, go) {
  if (feedback() || !(d.guides || []).some(needs)) return go(d)
  // What the chunk uses of this script: the same modules, so one shadow root, one queue, one set of words.
  window.waymark._x = { config, h, t, english, open, addCss, optedOut, uid }
  loading =
    loading ||
    new Promise((ok, ko) => {
      const s = document.createElement('script')
      s.src = config.base + '/widget/' + __FEEDBACK__
      s.nonce = config.nonce // a page with a nonce-only CSP allows the chunk as it allowed this script
      s.onload = ok
      s.onerror = ko
      document.head.append(s)
    })
  loading.then(
    () => go(d),
    () => {
      loading = 0 // the next answer tries again
      d.guides = d.guides.filter((g) => !needs(g))
      go(d)
    }
  )
}
