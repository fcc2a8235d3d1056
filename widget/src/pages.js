// Page rules ({path, host, query} globs) matched against the current location, as the server does.

const cache = {}

/** `*` any characters but '/', `**` any characters, `?` one character. */
export function glob(pattern, s) {
  const re = (cache[pattern] =
    cache[pattern] ||
    new RegExp(
      '^' +
        pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*|\*|\?/g, (m) => (m == '?' ? '.' : m == '*' ? '[^/]*' : '.*')) +
        '$'
    ))
  return re.test(s)
}

/** A rule, or a list of rules of which any may match (a walkthrough's first step on the guide's pages). */
export function pageMatches(rule, loc = location) {
  if (!rule) return true
  if (Array.isArray(rule)) return !rule.length || rule.some((r) => pageMatches(r, loc))
  if (typeof rule == 'string') rule = { path: rule }
  const q = new URLSearchParams(loc.search)
  const query = rule.query || {}
  return (
    (!rule.path || glob(rule.path, loc.pathname)) &&
    (!rule.host || glob(rule.host, rule.host.indexOf(':') < 0 ? loc.hostname : loc.host)) &&
    Object.keys(query).every((k) => (query[k] == '*' ? q.has(k) : q.getAll(k).indexOf(String(query[k])) >= 0))
  )
}
