/**
 * The one Content-Security-Policy for the dashboard, in the app (app:// response header), in a browser (the
 * headless service's header) and in renderer/index.html's meta tag. Only the page's own scripts and style
 * sheets; React's element.style writes are CSSOM, which style-src 'self' allows. connect-src 'self' covers
 * the headless page's same-origin RPC and, in CSP Level 3 browsers, its same-origin ws:/wss: stream.
 */

/**
 * The policy as one header value. `delivery: 'meta'` leaves out frame-ancestors, which browsers ignore (and
 * warn about) in a <meta> element; the header forbids framing. Pure, never throws.
 */
export function contentSecurityPolicy(delivery: 'header' | 'meta' = 'header'): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    ...(delivery === 'header' ? ["frame-ancestors 'none'"] : []),
    "object-src 'none'",
  ].join('; ');
}
