// The favicon every samlscope page declares, so browsers do not fetch /favicon.ico (a 404 and a console error on every page).

/** An empty inline icon: for pages whose CSP allows `img-src data:` or that send no CSP. */
export const INLINE_FAVICON_LINK = '<link rel="icon" href="data:,">';

/** The admin UI's icon, served at /static/favicon.svg (its CSP allows images only from 'self'). */
export const ADMIN_FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f2a44"/><circle cx="7" cy="7" r="4" fill="none" stroke="#fff" stroke-width="2"/><path d="M10 10l4 4" stroke="#fff" stroke-width="2"/></svg>';
