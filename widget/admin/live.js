// The live view: rows for events as the server streams them (server-sent events), appended under the latest 50.
// Text only (textContent), never HTML from the stream; at most MAX_ROWS rows stay on the page.

const MAX_ROWS = 500

function cell (text, className) {
  const td = document.createElement('td')
  if (className) td.className = className
  td.textContent = text == null ? '' : String(text)
  return td
}

function detail (e) {
  if (e.name) return e.name
  if (e.guide) return e.step == null ? e.guide : `${e.guide} · step ${e.step + 1}`
  return ''
}

function row (e) {
  const tr = document.createElement('tr')
  tr.dataset.id = String(e.id)
  const when = document.createElement('td')
  const time = document.createElement('time')
  time.dateTime = e.ts
  time.textContent = e.ts.replace('T', ' ').replace(/(\.\d+)?(Z|[+-]00:00)$/, '')
  when.appendChild(time)
  tr.append(when, cell(e.type), cell(e.visitor), cell(e.tenant || '–'), cell(detail(e)), cell(e.url, 'url'))
  return tr
}

function follow (body) {
  const status = document.getElementById(body.dataset.liveStatus)
  const say = (text) => { if (status) status.textContent = text }
  const source = new EventSource(body.dataset.liveStream)
  let added = 0
  source.addEventListener('open', () => say('Connected: new events are added at the end as they arrive.'))
  source.addEventListener('error', () => say('Connection lost: reconnecting…'))
  source.addEventListener('stored', (message) => {
    const e = JSON.parse(message.data)
    if (body.querySelector(`tr[data-id="${CSS.escape(String(e.id))}"]`)) return
    body.appendChild(row(e))
    while (body.rows.length > MAX_ROWS) body.deleteRow(0)
    added += 1
    body.dataset.received = String(added)
  })
  // Leaving the page closes the stream at once (the server stops reading for it).
  window.addEventListener('pagehide', () => source.close())
}

export function startLive (root) {
  for (const body of root.querySelectorAll('[data-live-stream]')) {
    if (body.dataset.following) continue
    body.dataset.following = '1'
    follow(body)
  }
}
