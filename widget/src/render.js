// The guide views (tooltip, lightbox, banner) in the shadow root, with their accessibility wiring.

import { h, build } from './dom.js'
import { t } from './i18n.js'
import { place } from './position.js'
import { stylesheet } from './styles.js'

let host
let root
let ids = 0
let restoreTo = null // where focus was before the first dialog of a run opened

function shadow() {
  if (!host) {
    host = h('div', { id: 'waymark-root' })
    root = host.attachShadow({ mode: 'open' })
    root.adoptedStyleSheets = [stylesheet()]
  }
  // Hosts that rebuild <body> (some SPAs) would take us out with it.
  if (!host.isConnected) (document.body || document.documentElement).append(host)
  return root
}

const offscreen = (r) => r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth

/**
 * Open one step's view. `v` = {type, title, body, counter, buttons: [{label, primary, click}],
 * dismiss, anchor, placement, position, lost}. Returns close(final): final restores focus.
 */
export function open(v) {
  const sr = shadow()
  const n = ++ids
  const title = v.title ? h('div', { class: 't', id: 't' + n }, v.title) : null
  const body = h('div', { class: 'b', id: 'b' + n }, build(v.body))
  const buttons = v.buttons.map((b) =>
    h('button', { type: 'button', class: b.primary ? 'btn p' : 'btn', onclick: b.click }, b.label)
  )
  // A policy prompt (v.policy) has no close button: it ends with a decision.
  const close = !v.policy && h('button', { type: 'button', class: 'x', 'aria-label': t('close'), onclick: v.dismiss }, '×')
  const foot = buttons.length || v.counter ? h('div', { class: 'f' }, v.counter && h('span', { class: 'n' }, v.counter), buttons) : null

  if (v.type == 'banner') {
    const el = h(
      'div',
      { class: 'bn ' + (v.position == 'bottom' ? 'bottom' : 'top'), role: 'region', 'aria-label': v.title || 'Announcement' },
      title,
      body,
      foot,
      close
    )
    sr.append(el)
    // A top banner pushes the page down instead of covering its header: it sits in the space it makes.
    if (v.position == 'bottom') return () => el.remove()
    const page = document.body.style
    const was = page.paddingTop
    const base = parseFloat(getComputedStyle(document.body).paddingTop) || 0
    const ro = new ResizeObserver(() => (page.paddingTop = base + el.offsetHeight + 'px'))
    ro.observe(el)
    return () => {
      ro.disconnect()
      page.paddingTop = was
      el.remove()
    }
  }

  const lightbox = v.type != 'tooltip' // an unknown type gets the safest view
  const arrow = lightbox ? null : h('div', { class: 'a' })
  const box = h(
    'div',
    {
      class: lightbox ? 'card lb' : 'card tip',
      role: v.policy ? 'alertdialog' : 'dialog',
      'aria-modal': lightbox && 'true',
      'aria-labelledby': title && 't' + n,
      'aria-label': !title && 'Guide',
      'aria-describedby': 'b' + n,
      tabindex: '-1',
      onkeydown(e) {
        if (e.key == 'Escape') {
          e.stopPropagation()
          v.policy || v.dismiss()
        } else if (e.key == 'Tab' && lightbox) {
          // Focus cycles inside a modal dialog; a tooltip lets Tab go on to the page.
          // Survey inputs too; a radio group is one stop (its checked radio, else its first), as browsers do.
          const f = [...box.querySelectorAll('button,a[href],input,textarea')].filter(
            (x) =>
              !x.disabled &&
              x.getClientRects().length &&
              (x.type != 'radio' || x == (box.querySelector(`[name=${x.name}]:checked`) || box.querySelector(`[name=${x.name}]`)))
          )
          const i = f.indexOf(sr.activeElement)
          e.preventDefault()
          f[i < 0 ? 0 : (i + (e.shiftKey ? f.length - 1 : 1)) % f.length].focus()
        }
      }
    },
    close,
    title,
    body,
    v.extra,
    foot,
    arrow
  )
  // Clicks on the backdrop keep focus in the modal.
  const el = lightbox ? h('div', { class: 'ov', onmousedown: (e) => e.target == el && e.preventDefault() }, box) : box
  // Between the steps of a walkthrough focus sits on <body>: keep the element focused before step one.
  const active = document.activeElement
  if (active != host && active != document.body) restoreTo = active
  sr.append(el)

  let frame = 0
  let ro
  const reposition = () => {
    frame = 0
    if (!v.anchor.isConnected) return v.lost()
    // An anchor that is not rendered right now (display: none) hides its tooltip until it is back.
    box.style.visibility = v.anchor.getClientRects().length ? '' : 'hidden'
    place(v.anchor, box, arrow, v.placement)
  }
  const schedule = () => (frame = frame || requestAnimationFrame(reposition))
  if (!lightbox) {
    if (offscreen(v.anchor.getBoundingClientRect())) v.anchor.scrollIntoView({ block: 'center', inline: 'nearest' })
    place(v.anchor, box, arrow, v.placement)
    addEventListener('scroll', schedule, true)
    addEventListener('resize', schedule)
    ro = new ResizeObserver(schedule)
    ;[v.anchor, box, document.documentElement].forEach((t) => ro.observe(t))
  }
  ;(box.querySelector('.p') || close).focus({ preventScroll: true })

  return (final) => {
    const focused = !!sr.activeElement
    if (ro) {
      removeEventListener('scroll', schedule, true)
      removeEventListener('resize', schedule)
      ro.disconnect()
      cancelAnimationFrame(frame)
    }
    el.remove()
    if (final && focused && restoreTo && restoreTo.focus) restoreTo.focus({ preventScroll: true })
    if (final) restoreTo = null
  }
}
