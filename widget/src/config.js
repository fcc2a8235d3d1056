// Where the server is and which app this is: read from the embedding <script> tag.

const script =
  document.currentScript || document.querySelector('script[data-key]') || {}

const origin = (src) => {
  try {
    return new URL(src, location.href).origin
  } catch (e) {
    return ''
  }
}

export const config = {
  key: (script.getAttribute && script.getAttribute('data-key')) || '',
  base: script.src ? origin(script.src) : '',
  nonce: script.nonce || '' // the page's CSP nonce, for the lazily loaded chunk
}

/** Apply `initialize({apiKey, apiHost, identity})` overrides. */
export function configure(o) {
  if (o.apiKey) config.key = o.apiKey
  // The visitor signed by the host app's server (an HS256 token), for apps that require it.
  if (o.identity) config.identity = String(o.identity)
  if (o.apiHost) config.base = String(o.apiHost).replace(/\/+$/, '')
}
