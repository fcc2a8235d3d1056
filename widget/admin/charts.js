// Time series from the JSON each line_chart macro writes beside its <div>: x as UTC seconds, series of values.

const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490']

// Vertical lines with a label at the top: a guide publication on an activity trend, for example.
function marksPlugin (marks) {
  return {
    hooks: {
      draw: [(u) => {
        const { ctx } = u
        const { top, height } = u.bbox
        ctx.save()
        ctx.strokeStyle = '#6b7280'
        ctx.fillStyle = '#374151'
        ctx.setLineDash([4, 4])
        ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`
        for (const mark of marks) {
          const x = Math.round(u.valToPos(mark.x, 'x', true))
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue
          ctx.beginPath()
          ctx.moveTo(x, top)
          ctx.lineTo(x, top + height)
          ctx.stroke()
          ctx.fillText(mark.label, x + 4, top + 12 * devicePixelRatio)
        }
        ctx.restore()
      }]
    }
  }
}

// x is UTC seconds, or plain numbers when the payload says "time": false (retention brackets).
function options (data, width, xLabel) {
  const time = data.time !== false
  return {
    width,
    height: Math.max(180, Math.min(300, Math.round(width * 0.45))),
    scales: { x: { time } },
    axes: [{}, { size: 56 }],
    series: [
      {
        label: xLabel || 'Day',
        value: (u, v) => v == null ? '–' : time ? new Date(v * 1000).toISOString().slice(0, 10) : String(v)
      },
      ...data.series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        dash: s.dash ? [6, 4] : undefined,
        spanGaps: false
      }))
    ],
    plugins: data.marks && data.marks.length ? [marksPlugin(data.marks)] : []
  }
}

export function drawCharts (root, uPlot) {
  for (const el of root.querySelectorAll('[data-chart]')) {
    if (el.dataset.drawn) continue
    const source = document.getElementById(el.dataset.chart)
    if (!source) continue
    const data = JSON.parse(source.textContent)
    el.dataset.drawn = '1'
    const width = () => Math.max(240, el.clientWidth || 600)
    const plot = new uPlot(options(data, width(), el.dataset.xLabel), [data.x, ...data.series.map((s) => s.values)], el)
    if ('ResizeObserver' in window) {
      let last = width()
      new ResizeObserver(() => {
        const now = width()
        if (Math.abs(now - last) > 8) {
          last = now
          plot.setSize({ width: now, height: options(data, now, el.dataset.xLabel).height })
        }
      }).observe(el)
    }
  }
}
