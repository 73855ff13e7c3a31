// One SSO login through a proxy, step by step: initiate through the IdP (session cookie, callback form), then the callback.
import { request } from 'undici';
import { findSamlForm } from '../src/login/html-form.js';

/** Initiate through one proxy and the IdP; returns the session cookie and the callback form body. */
export async function initiate(proxyUrl: string, user = 'alice@contoso.example') {
  const init = await request(proxyUrl + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  if (init.statusCode !== 200) throw new Error(`initiate answered ${init.statusCode}`);
  const cookie = String(init.headers['set-cookie']).split(';')[0];
  const idpUrl = new URL(((await init.body.json()) as { url: string }).url);
  idpUrl.searchParams.set('login_hint', user);
  const form = findSamlForm(await (await request(idpUrl, { headers: { accept: 'text/html' } })).body.text());
  if (!form) throw new Error('no SAML form');
  return { cookie, body: new URLSearchParams(form.fields).toString() };
}

export async function callback(proxyUrl: string, body: string, cookie?: string) {
  const r = await request(proxyUrl + '/api/v1/fleet/sso/callback', {
    method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(cookie ? { cookie } : {}) },
  });
  return { status: r.statusCode, text: await r.body.text() };
}
