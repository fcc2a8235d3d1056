// The admin's one script: htmx for the filter forms, uPlot for time series, a copy button. No inline code runs:
// the page's Content-Security-Policy allows only this file and nonced scripts, and forbids eval.

import htmx from 'htmx.org'
import uPlot from 'uplot'

// Also set in the page's htmx-config meta: no injected <style> (CSP) and no eval. Script tags are kept in swapped
// HTML because a chart's data is a <script type="application/json"> (htmx would otherwise strip it); a JavaScript one
// would be copied without the page's nonce, and the CSP refuses to run it.
Object.assign(htmx.config, { includeIndicatorStyles: false, allowEval: false, allowScriptTags: true })

import { drawCharts } from './charts.js'
import { wireCopyButtons, wireConfirmations } from './forms.js'
import { startLive } from './live.js'

function start () {
  drawCharts(document, uPlot)
  wireCopyButtons(document)
  wireConfirmations(document)
  startLive(document)
}

// After htmx swaps a report in, draw the charts it brought: htmx.onLoad runs for every piece of content htmx adds
// (an outerHTML swap fires its other events on the detached old element, which never reach the document).
htmx.onLoad(() => drawCharts(document, uPlot))

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
