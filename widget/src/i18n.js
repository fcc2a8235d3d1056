// The widget's own words: English here, the visitor's language from the delivery answer, the host's overrides on top.

const EN = {
  of: '{n} of {t}',
  close: 'Close',
  back: 'Back',
  next: 'Next',
  done: 'Done',
  snooze: 'Remind me later',
  accept: 'Accept',
  decline: 'Decline',
  submit: 'Submit',
  low: 'Not at all likely',
  high: 'Extremely likely',
  score: 'Choose a score from 0 to 10.',
  cont: 'The tour continues on another page',
  perr: 'Your choice could not be recorded ({s}).',
  psave: 'Your choice could not be saved. Please try again.',
  pretry: 'Saving your choice… (retrying)'
}
let sent = {} // from the server, for the visitor's locale
let host = {} // waymark.initialize({strings})

export const setStrings = (d) => (sent = (d && d.strings) || {})
export const overrideStrings = (o) => (host = Object.assign({}, host, o))

/** t('of', {n: 2, t: 5}) → "2 of 5" in the visitor's language. */
export const t = (k, v) => String(host[k] || sent[k] || EN[k]).replace(/\{(\w)\}/g, (m, x) => (v && x in v ? v[x] : m))
