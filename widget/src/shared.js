// In the lazily loaded chunk, the core's modules are those already running in the page (see lazy.js).

const x = window.waymark._x

export const { config, h, t, english, open, addCss, optedOut, uid } = x
