// The admin's one script: htmx for the filter forms, uPlot for time series, a copy button. No inline code runs:
// the page's Content-Security-Policy allows only this file and nonced scripts, and forbids eval.

import htmx from 'htmx.org'
import uPlot from 'uplot'

// Also set in the page's htmx-config meta: no injected <style> (CSP), no eval, no scripts from swapped HTML.
Object.assign(htmx.config, { includeIndicatorStyles: false, allowEval: false, allowScriptTags: false })

import { drawCharts } from './charts.js'
import { wireCopyButtons, wireConfirmations } from './forms.js'
import { startLive } from './live.js'

function start () {
  drawCharts(document, uPlot)
  wireCopyButtons(document)
  wireConfirmations(document)
  startLive(document)
}

// After htmx swaps a report in, draw the charts it brought.
document.addEventListener('htmx:afterSettle', (event) => drawCharts(event.detail.elt || document, uPlot))

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
