// The widget's one stylesheet, constructed (no <style>, no style attributes: strict CSP hosts stay quiet).

import css from './styles.css'

let sheet
let more = '' // the lazily loaded chunk's styles

export function stylesheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet()
    sheet.replaceSync(css + more)
  }
  return sheet
}

export function addCss(c) {
  more += c
  if (sheet) sheet.replaceSync(css + more)
}

/** Constructable stylesheets adopted by shadow roots; without them the widget shows nothing. */
export const supported = () => 'adoptedStyleSheets' in Document.prototype && !!Element.prototype.attachShadow
