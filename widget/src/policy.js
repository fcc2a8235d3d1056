// Policy prompts: a blocking lightbox before any other guide, and the decision sent until the server acknowledges it.

import { config } from './config.js'
import { h } from './dom.js'
import { t } from './i18n.js'
import { open } from './render.js'
import { optedOut, uid } from './transport.js'

const done = {} // policy id -> version decided in this page load (the next delivery answer says so too)
const ids = {} // policy + version + decision -> request id: a retried or repeated click records once
let shown = null // the policy on screen
let rest = null // what to run once no policy is due (start the other guides)

const due = (g) => {
  const p = g.policy
  const s = g.state || {}
  return (
    p &&
    !(done[g.id] >= p.version) &&
    !(s.status == 'completed' && s.step >= p.version) &&
    (!p.respect_budget || g.auto)
  )
}

// The exact text rendered, in the canonical form the server hashes: [title, body] as compact JSON, keys sorted.
const canon = (v) =>
  Array.isArray(v)
    ? '[' + v.map(canon).join(',') + ']'
    : v && typeof v == 'object'
      ? '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
      : JSON.stringify(v)

async function digest(s) {
  const c = crypto.subtle // absent outside secure contexts: the server then records its own hash of the version
  if (!c) return
  const b = await c.digest('SHA-256', new TextEncoder().encode(s))
  return Array.from(new Uint8Array(b), (x) => (x + 256).toString(16).slice(1)).join('')
}

/**
 * Take the policy guides out of a delivery answer `d`; show the first one due, and call `next` (start the
 * other guides) only once none is due. `who` = {visitor, tenant, identity}.
 */
export function take(d, who, next) {
  const all = d.guides || []
  const policies = all.filter((g) => g.kind == 'policy')
  d.guides = all.filter((g) => g.kind != 'policy')
  rest = next
  if (shown) return
  const g = policies.find(due)
  if (!g) return next()
  next({ guides: [] }) // nothing else stays on screen under a policy
  show(g, who, policies)
}

function show(g, who, policies) {
  const s = g.steps[0]
  const p = g.policy
  const note = h('p', { class: 'err', role: 'status', 'aria-live': 'polite' })
  let close
  const decide = async (decision) => {
    const key = g.id + ' ' + p.version + ' ' + decision
    const body = {
      id: (ids[key] = ids[key] || uid()),
      visitor: who.visitor,
      policy: g.id,
      version: p.version,
      locale: p.locale,
      decision,
      text_hash: await digest(canon([s.title, s.body]))
    }
    if (who.tenant) body.tenant = who.tenant
    if (config.identity) body.identity = config.identity
    if (optedOut()) body.analytics = false // evidence only: consent is not analytics
    const buttons = [...note.parentNode.querySelectorAll('button')]
    buttons.forEach((b) => (b.disabled = true))
    const fail = (text) => {
      note.textContent = text
      buttons.forEach((b) => (b.disabled = false))
    }
    for (let i = 0, wait = 1000; ; i++, wait *= 2) {
      let r
      try {
        r = await fetch(config.base + '/api/v1/policy-decisions?key=' + encodeURIComponent(config.key), {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'Content-Type': 'text/plain' },
          credentials: 'omit'
        })
      } catch (e) {} // offline: retried below
      if (r && r.ok) break
      if (r && r.status < 500 && r.status != 429) return fail(t('perr', { s: r.status }))
      if (i == 5) return fail(t('psave'))
      note.textContent = t('pretry')
      await new Promise((ok) => setTimeout(ok, wait))
    }
    done[g.id] = p.version
    shown = null
    close(true)
    const n = policies.find(due)
    n ? show(n, who, policies) : rest && rest()
  }
  const buttons = []
  if (p.allow_decline) buttons.push({ label: t('decline'), click: () => decide('declined') })
  buttons.push({ label: t('accept'), primary: 1, click: () => decide('accepted') })
  shown = g
  // No close button and no Escape: the prompt ends with a decision.
  close = open({ type: 'lightbox', title: s.title, body: s.body, buttons, extra: note, policy: 1 })
}

/** Another visitor: their prompt is not this one's. */
export function reset() {
  shown = null
}
