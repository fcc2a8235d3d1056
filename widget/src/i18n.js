// The widget's own words: English here, the visitor's language from the delivery answer, the host's overrides on top.

// The lazily loaded chunk adds the English words of the surveys and the policy prompt (feedback.js).
const EN = {
  of: '{n} of {t}',
  close: 'Close',
  back: 'Back',
  next: 'Next',
  done: 'Done',
  snooze: 'Remind me later',
  cont: 'The tour continues on another page'
}
let sent = {} // from the server, for the visitor's locale
let host = {} // waymark.initialize({strings})

export const english = (o) => Object.assign(EN, o)
export const setStrings = (d) => (sent = (d && d.strings) || {})
export const overrideStrings = (o) => (host = Object.assign({}, host, o))

/** t('of', {n: 2, t: 5}) → "2 of 5" in the visitor's language. */
export const t = (k, v) => String(host[k] || sent[k] || EN[k]).replace(/\{(\w)\}/g, (m, x) => (v && x in v ? v[x] : m))
