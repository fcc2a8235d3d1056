// Tooltip placement: fixed coordinates beside the anchor, flipped to the side that fits the viewport.

const GAP = 12 // anchor to tooltip, room for the arrow
const EDGE = 8 // tooltip to viewport edge
const OPPOSITE = { top: 'bottom', bottom: 'top', left: 'right', right: 'left' }
const clamp = (v, lo, hi) => Math.max(lo, Math.min(v, hi))

/** Place `tip` (position: fixed) next to `anchor`, preferring `placement`; returns the side used. */
export function place(anchor, tip, arrow, placement) {
  const a = anchor.getBoundingClientRect()
  const w = tip.offsetWidth
  const h = tip.offsetHeight
  const vw = document.documentElement.clientWidth || innerWidth
  const vh = document.documentElement.clientHeight || innerHeight
  const room = {
    top: a.top - GAP - EDGE - h,
    bottom: vh - a.bottom - GAP - EDGE - h,
    left: a.left - GAP - EDGE - w,
    right: vw - a.right - GAP - EDGE - w
  }
  const order = ['bottom', 'top', 'right', 'left']
  if (OPPOSITE[placement]) order.unshift(placement, OPPOSITE[placement])
  // The first side that fits, else the one that is least short of room.
  const side = order.find((s) => room[s] >= 0) || order.reduce((b, s) => (room[s] > room[b] ? s : b))
  const vertical = side == 'top' || side == 'bottom'
  const x = vertical
    ? clamp(a.left + a.width / 2 - w / 2, EDGE, vw - w - EDGE)
    : side == 'right'
      ? a.right + GAP
      : a.left - GAP - w
  const y = vertical
    ? side == 'bottom'
      ? a.bottom + GAP
      : a.top - GAP - h
    : clamp(a.top + a.height / 2 - h / 2, EDGE, vh - h - EDGE)
  tip.style.left = x + 'px'
  tip.style.top = y + 'px'
  tip.setAttribute('data-side', side)
  // The arrow points at the anchor's centre while staying on the tooltip's edge.
  arrow.style.left = vertical ? clamp(a.left + a.width / 2 - x, 14, w - 14) + 'px' : ''
  arrow.style.top = vertical ? '' : clamp(a.top + a.height / 2 - y, 14, h - 14) + 'px'
  return side
}
