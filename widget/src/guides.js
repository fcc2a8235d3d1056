// The guide runner: picks what to show (resume, priority, throttle, local knowledge) and walks the steps.

import { waitFor } from './anchors.js'
import { pageMatches } from './pages.js'
import { t } from './i18n.js'
import { open } from './render.js'
import { pageKey } from './router.js'
import { load, save } from './state.js'
import { feedback } from './lazy.js'
import { optedOut, queue } from './transport.js'

// Events are flushed on page hide and may reach the server after the next page asks what to show:
// for this long after the visitor acted (or while its events wait in the queue) local knowledge wins.
const FRESH_MS = 600000

let data = null // the last delivery answer
let wanted = null // showGuide() called before guides arrived
let emit // (type, run, props, step)
const slots = { main: null, banner: null } // the run on screen (or waiting for its anchor) per slot
const runs = {} // guide id -> run begun in this page load: keeps its trigger and whether seen was sent
const skipped = {} // guide id -> page whose anchor never appeared
const closed = {} // guide id -> page where the visitor closed it: not started again on that page
let noted = null // closes the "the tour continues on another page" note

// Banner announcements may show alongside the one other guide.
const slotOf = (g) => (g.kind == 'announcement' && g.steps[0].type == 'banner' ? 'banner' : 'main')

export const setEmitter = (fn) => (emit = fn)

// For the host's RUM and our benchmark: a User Timing mark as each step's view goes on screen.
const mark = (id, step) => {
  try {
    performance.mark('waymark:guide-shown', { detail: { id, step } })
  } catch (e) {} // no User Timing, or a detail that cannot be cloned: measuring must never break a guide
}

export function setGuides(d) {
  data = d
  d.guides = (d.guides || []).filter((g) => g.steps && g.steps.length)
  // The answer lists what this page may show: a guide no longer in it was for the page we left.
  for (const k in slots) if (slots[k] && !d.guides.some((g) => g.id == slots[k].g.id)) hide(slots[k])
  if (wanted) showGuide(wanted, 'api')
  wanted = null
  evaluate()
}

/** Start what should start by itself: a walkthrough to resume first, else the highest priority. */
export function evaluate() {
  if (!data) return
  const now = Date.now()
  const st = load()
  const since = now - (st.lastAuto || 0) // a guide may set its own interval (throttle_ms)
  const pending = queue().map((e) => e.guide)
  const picks = {}
  for (const g of data.guides) {
    const slot = slotOf(g)
    if (slots[slot] || skipped[g.id] == pageKey() || closed[g.id] == pageKey()) continue
    const local = st.guides[g.id]
    const server = g.state || {}
    if (local && local.snoozedUntil > now) continue
    const known = local && (now - local.at < FRESH_MS || pending.indexOf(g.id) >= 0 || optedOut())
    let step = -1
    let trigger = 'resume'
    if (known && local.status == 'in_progress') step = local.step
    else if (known && (local.status == 'completed' || (/^(seen|dismissed)$/.test(local.status) && !again(g)))) continue
    else if (g.auto) {
      if (server.status == 'in_progress') step = server.step || 0
      else if (since >= ('throttle_ms' in g ? g.throttle_ms : data.throttle_ms || 0) || g.ignore_throttle)
        (step = 0), (trigger = 'auto')
    }
    const from = trigger == 'resume' && followed(g, step) ? step++ : -1
    // A walkthrough whose step belongs to another page waits until the visitor gets there.
    if (!g.steps[step] || !pageMatches(g.steps[step].page)) continue
    const best = picks[slot]
    const rank = best && ((trigger == 'resume') - (best.trigger == 'resume') || (g.priority || 0) - (best.g.priority || 0))
    if (!best || rank > 0) picks[slot] = { g, step, trigger, from }
  }
  // Starting one may already have started another (a walkthrough step elsewhere frees its slot).
  for (const k in picks) if (!slots[k]) start(picks[k].g, picks[k].step, picks[k].trigger, picks[k].from)
}

// "Until completed" guides come back after being seen or closed; the others wait for the server to say so.
const again = (g) => (g.frequency || {}).mode == 'until_completed'

// "Open an invoice to continue": a visitor who left step k's page for step k+1's has advanced.
const followed = (g, k) => {
  const s = g.steps[k]
  const next = g.steps[k + 1]
  return s && next && !pageMatches(s.page) && next.page && pageMatches(next.page)
}

function start(g, step, trigger, from) {
  let run = runs[g.id]
  if (!run || trigger == 'api' || trigger == 'click') run = runs[g.id] = { trigger }
  run.g = g
  run.slot = slotOf(g)
  slots[run.slot] = run
  if (from >= 0) {
    run.step = from
    go(run, step)
  } else show(run, step)
}

async function show(run, step, moved) {
  const g = run.g
  const s = g.steps[step]
  const many = g.steps.length > 1
  const last = step == g.steps.length - 1
  const token = (run.token = {})
  run.step = step
  if (run.close) run.close(false)
  run.close = null
  unnote()
  if (!pageMatches(s.page)) {
    save(g.id, 'in_progress', step)
    release(run)
    // Moved there by Back or Next: say where the tour goes on rather than vanish.
    if (moved) note(s.page)
    return evaluate()
  }
  let anchor
  if (s.type == 'tooltip') {
    const t0 = Date.now()
    anchor = await waitFor(s.anchor, s.wait_ms || 3000)
    if (run.token != token) return
    if (!anchor) {
      // Never shown detached: skipped on this page, and the next candidate gets its chance.
      emit('guide_anchor_missing', run, { anchor: s.anchor, waited_ms: Date.now() - t0 })
      skipped[g.id] = pageKey()
      hide(run)
      delete runs[g.id]
      return evaluate()
    }
  }
  const b = g.buttons || {}
  const buttons = []
  const sv = /^(nps|poll)$/.test(s.type) && feedback().survey(s)
  if (g.snooze_days) buttons.push({ label: b.snooze || t('snooze'), click: () => finish(run, 'snoozed') })
  if (step > 0) buttons.push({ label: b.back || t('back'), click: () => go(run, step - 1) })
  buttons.push({
    label: last ? b.done || t(sv ? 'submit' : 'done') : b.next || t('next'),
    primary: 1,
    click: () => {
      // An answer goes before the step's end; closing without one is a dismissal, never an answer.
      const a = sv ? sv.answer() : 0
      if (a === false) return
      if (a) emit(s.type + '_response', run, 0, 0, s.type == 'poll' ? Object.assign({ step }, a) : a)
      if (last) return finish(run, 'completed')
      go(run, step + 1)
      // The next step is on another page: Next takes the visitor there when the step says where.
      if (s.next_url && !pageMatches(g.steps[step + 1].page)) location.assign(s.next_url)
    }
  })
  run.close = open({
    type: s.type,
    title: s.title,
    body: s.body,
    placement: s.placement,
    position: s.position,
    counter: many && t('of', { n: step + 1, t: g.steps.length }),
    buttons,
    extra: sv && sv.el,
    anchor,
    dismiss: () => finish(run, 'dismissed'),
    lost: () => show(run, run.step) // the host re-rendered the anchor: find it again
  })
  mark(g.id, step)
  const first = !run.seen
  if (first) emit('guide_seen', run, { trigger: run.trigger })
  run.seen = 1
  // As the server counts: a walkthrough once shown is in progress until closed or completed.
  save(g.id, many ? 'in_progress' : 'seen', step, 0, first && run.trigger == 'auto' && !g.ignore_throttle)
}

function go(run, step) {
  emit('guide_step_advanced', run, { from: run.step }, step)
  show(run, step, 1)
}

// A bottom strip naming the page, as a link when the rule is one plain path.
function note(page) {
  const r = Array.isArray(page) ? page[0] : page
  const p = r && (typeof r == 'string' ? r : !r.host && !r.query && r.path)
  noted = open({
    type: 'banner',
    position: 'bottom',
    title: t('cont'),
    body: p && !/[*?]/.test(p) ? [['a', { href: p }, [p]]] : [],
    buttons: [],
    dismiss: unnote
  })
}

function unnote() {
  if (noted) noted()
  noted = null
}

function finish(run, status) {
  const days = run.g.snooze_days
  emit('guide_' + status, run, status == 'snoozed' ? { days } : {})
  save(run.g.id, status, run.step, status == 'snoozed' && Date.now() + days * 864e5)
  closed[run.g.id] = pageKey()
  hide(run)
  delete runs[run.g.id]
  evaluate()
}

function release(run) {
  if (slots[run.slot] == run) slots[run.slot] = null
}

function hide(run) {
  run.token = 0
  if (run.close) run.close(true)
  run.close = null
  release(run)
}

/** Show a listed guide now, whatever `auto` says (trigger api or click). */
export function showGuide(id, trigger) {
  const g = data && data.guides.find((g) => g.id == id)
  if (!data) wanted = id
  if (!g) return
  const current = slots[slotOf(g)]
  if (current && current.g.id == id) return
  if (current) hide(current)
  start(g, 0, trigger)
}

/** After an SPA navigation: follow the visitor to the next step, or hide what was for the last page. */
export function routeChanged() {
  unnote()
  for (const k in slots) {
    const run = slots[k]
    if (run && followed(run.g, run.step)) go(run, run.step + 1)
    else if (run && !pageMatches(run.g.steps[run.step].page)) hide(run)
  }
}

/** Another visitor: nothing of the previous one stays on screen. */
export function reset() {
  unnote()
  for (const k in slots) slots[k] && hide(slots[k])
  for (const k in runs) delete runs[k]
  data = null
}

document.addEventListener(
  'click',
  (e) => {
    for (const g of (data && data.guides) || []) {
      const a = g.activation || {}
      try {
        if (a.mode == 'click' && a.selector && e.target.closest(a.selector)) return showGuide(g.id, 'click')
      } catch (x) {} // an invalid selector or a non-element target
    }
  },
  true
)
