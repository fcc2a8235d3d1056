// Survey steps: the NPS scale and its follow-up question, and the poll inputs. Answers are plain text, never markup.

import { h } from './dom.js'
import { t } from './i18n.js'

let n = 0

// Native radios and checkboxes: the browser gives them their roles, labels, arrow keys and Space.
const choice = (type, name, value, label, desc) =>
  h('label', {}, h('input', { type, name, value, 'aria-describedby': desc }), h('span', {}, label))

const box = (max, label) => h('textarea', { rows: 3, maxlength: max, 'aria-labelledby': label })

const picked = (el) => [...el.querySelectorAll('input:checked')].map((i) => i.value)

/**
 * The inputs of an `nps` or `poll` step `s`, for render's `extra`. Returns {el, answer}: answer() is the
 * answer's event fields, null when there is none (a poll may be skipped), or false when an NPS step cannot
 * be submitted yet (it then says why and puts focus on the scale).
 */
export function survey(s) {
  const id = 'w' + ++n
  const err = h('p', { class: 'se', role: 'alert' })
  const text = (el) => el.value.trim().slice(0, s.max_length)
  if (s.type == 'nps') {
    const f = s.follow_up
    const q = h('div', { id: id + 'q', class: 'sq', 'aria-live': 'polite' })
    const comment = box(s.max_length, id + 'q')
    const more = h('div', { hidden: 1 }, q, comment)
    const scale = h(
      'div',
      {
        role: 'radiogroup',
        class: 'sc',
        'aria-label': s.title,
        onchange() {
          const v = +picked(scale)[0]
          q.textContent = f ? f[v > 8 ? 'promoter' : v > 6 ? 'passive' : 'detractor'] || '' : ''
          more.hidden = !q.textContent
          err.textContent = ''
        }
      },
      [...Array(11)].map((_, i) => choice('radio', id, i, i, i == 0 ? id + 'l' : i == 10 && id + 'h'))
    )
    const ends = h(
      'div',
      { class: 'se2' },
      h('span', { id: id + 'l' }, s.low || t('low')),
      h('span', { id: id + 'h' }, s.high || t('high'))
    )
    const el = h('div', { class: 'sv' }, scale, ends, more, err)
    const answer = () => {
      const v = picked(scale)[0]
      if (v == null) {
        err.textContent = t('score')
        scale.querySelector('input').focus()
        return false
      }
      const c = !more.hidden && text(comment)
      return c ? { score: +v, comment: c } : { score: +v }
    }
    return { el, answer }
  }
  const input = s.input
  let el
  if (input == 'text') el = box(s.max_length)
  else
    el = h(
      'div',
      { role: input == 'multiple' ? 'group' : 'radiogroup', class: input == 'rating' ? 'sc' : 'sl' },
      input == 'rating'
        ? [1, 2, 3, 4, 5].map((r) => choice('radio', id, r, r))
        : (s.options || []).map((o) => choice(input == 'multiple' ? 'checkbox' : 'radio', id, o.id, o.label))
    )
  el.setAttribute('aria-label', s.title || s.question)
  const answer = () => {
    const a = { question: s.question }
    const got = input == 'text' ? text(el) : picked(el)
    if (!got.length) return null
    if (input == 'text') a.text = got
    else if (input == 'rating') a.rating = +got[0]
    else a.choices = got
    return a
  }
  return { el: h('div', { class: 'sv' }, el), answer }
}
