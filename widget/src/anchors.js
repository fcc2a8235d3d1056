// Wait for a tooltip's anchor element: a MutationObserver and one timeout, no polling.

const find = (sel) => {
  try {
    const el = document.querySelector(sel)
    return el && el.getClientRects().length ? el : null
  } catch (e) {
    return null // an invalid selector is an anchor that never appears
  }
}

/** Resolve with the first rendered element matching `sel`, or null after `ms`. */
export function waitFor(sel, ms) {
  return new Promise((resolve) => {
    let el = find(sel)
    if (el) return resolve(el)
    const done = (v) => {
      mo.disconnect()
      clearTimeout(t)
      resolve(v)
    }
    const mo = new MutationObserver(() => (el = find(sel)) && done(el))
    const t = setTimeout(() => done(null), ms)
    mo.observe(document.documentElement, { childList: true, subtree: true, attributes: true })
  })
}
