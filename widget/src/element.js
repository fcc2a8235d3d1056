// A clicked element described compactly (tag, id, stable classes, data attributes, text, path), never a field's value.

const INTERACTIVE =
  'a,button,input,select,textarea,label,summary,[role=button],[role=link],[role=tab],[role=menuitem],[role=checkbox],[role=radio],[role=switch],[role=option],[onclick]'
const FIELD = /^(input|select|textarea)$/

// Generated class names (jsx-2893, Button_root__3xK9a, x--a1b2) change with every build.
const stable = (c) => !/\d{3}|(__|--)[\w-]*\d/.test(c)
const classes = (el) => [...el.classList].filter(stable)

// Data attributes with a value; empty ones are mostly framework markers (data-v-app, data-reactroot).
const data = (el) => [...el.attributes].filter((a) => !a.name.indexOf('data-') && a.value)

const top = (el) => !el || el == document.body || el == document.documentElement

/** The element a click was meant for: the target or its nearest interactive (or data-*) ancestor. */
export function clicked(t) {
  for (let e = t; !top(e); e = e.parentElement) if (e.matches(INTERACTIVE) || data(e).length) return e
  return top(t) ? null : t // a click on the page itself says nothing
}

// What the visitor can read on it, fields left out: a label's text, not its <select>'s options or what was typed.
function visibleText(el) {
  const fields = 'select,textarea,[contenteditable]'
  if (!el.querySelector(fields)) return el.innerText == null ? el.textContent : el.innerText
  const copy = el.cloneNode(true)
  copy.querySelectorAll(fields).forEach((f) => f.remove())
  return copy.textContent
}

/** `{tag, id, classes, attrs, text, path}`; text is ≤ 64 chars of visible text, none for form fields. */
export function describe(el) {
  const tag = el.localName
  const attrs = {}
  data(el)
    .slice(0, 10)
    .forEach((a) => (attrs[a.name] = a.value.slice(0, 100)))
  const text = FIELD.test(tag) || el.isContentEditable ? '' : visibleText(el)
  const path = []
  // getAttribute: a form's `id` property may be one of its fields (<input name="id">).
  for (let e = el; !top(e) && path.length < 8; e = e.parentElement) {
    const id = e.getAttribute('id')
    path.unshift(e.localName + (id ? '#' + CSS.escape(id) : '') + classes(e).slice(0, 3).map((c) => '.' + CSS.escape(c)).join(''))
  }
  return {
    tag,
    id: el.getAttribute('id') || '',
    classes: classes(el).slice(0, 10),
    attrs,
    text: (text || '').replace(/\s+/g, ' ').trim().slice(0, 64),
    path: path.join(' > ')
  }
}
