// DOM without markup strings: h() for the widget's own chrome, build() for author content.

/** h('button', {class: 'x', onclick: fn}, 'Next') — functions become listeners, the rest attributes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const k in attrs) {
    const v = attrs[k]
    if (v == null || v === false) continue
    typeof v == 'function' ? el.addEventListener(k.slice(2), v) : el.setAttribute(k, v)
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c)
  return el
}

// The server sanitises already; this is the second fence, so unknown tags keep only their text.
const TAGS = /^(p|br|strong|em|b|i|a|ul|ol|li|img|code)$/
const ATTRS = /^(href|src|alt|title)$/

/** http(s), mailto or relative; control characters and spaces are ignored by URL parsers, so by us. */
export const safeUrl = (u) => {
  const s = u.replace(/[\x00-\x20]/g, '')
  return !/^[a-z][\w+.-]*:/i.test(s) || /^(https?|mailto):/i.test(s)
}

/** Build a content node tree (strings and [tag, attrs, children]) into DOM nodes. */
export function build(nodes) {
  const out = []
  for (const n of typeof nodes == 'string' ? [nodes] : nodes || []) {
    if (typeof n == 'string') {
      out.push(document.createTextNode(n))
      continue
    }
    if (!Array.isArray(n)) continue
    const [tag, attrs, kids] = n
    const inner = build(kids)
    // A link without a usable href (the sanitiser took it) is its text, not a dead <a>.
    if (!TAGS.test(tag) || (tag == 'a' && !(attrs && attrs.href && safeUrl(String(attrs.href))))) {
      out.push(...inner)
      continue
    }
    const el = document.createElement(tag)
    for (const k in attrs) {
      const v = String(attrs[k])
      if (/^on/i.test(k) || !ATTRS.test(k) || (/^(href|src)$/.test(k) && !safeUrl(v))) continue
      el.setAttribute(k, v)
    }
    // A page of the host app opens in the same tab; anywhere else in a new one, without an opener.
    if (tag == 'a' && el.origin != location.origin) {
      el.setAttribute('target', '_blank')
      el.setAttribute('rel', 'noopener noreferrer')
    }
    el.append(...inner)
    out.push(el)
  }
  return out
}
