// SPA route changes: history.pushState/replaceState patched, popstate heard, the same URL ignored.

export const pageKey = () => location.origin + location.pathname + location.search

export function onRoute(cb) {
  let last = pageKey()
  // Deferred: the host's router finishes its own work first, and a burst of calls yields one change.
  const check = () =>
    setTimeout(() => {
      const k = pageKey()
      if (k != last) {
        last = k
        cb()
      }
    })
  for (const m of ['pushState', 'replaceState']) {
    const orig = history[m]
    history[m] = function () {
      const r = orig.apply(this, arguments)
      check()
      return r
    }
  }
  addEventListener('popstate', check)
}
