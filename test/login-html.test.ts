// The HTML readers of samlscope login: SAML form, AADSTS page, Fleet's status/token/redirect, and the cookie jar.
import t from 'tap';
import { findAadstsError, findFleetStatus, findFleetToken, findSamlForm, findScriptRedirect, decodeHtmlEntities } from '../src/login/html-form.js';
import { CookieJar } from '../src/login/login.js';

t.test('findSamlForm reads action and hidden fields in any attribute order', async (t) => {
  const html = `<form name="x" method="get" action="/nope"><input name="SAMLResponse" value="no"></form>
    <form method="POST" name="hiddenform" action="https://fleet.example/api/v1/fleet/sso/callback?a=1&amp;b=2">
    <input type="hidden" name="SAMLResponse" value="PHNhbWxwOl+/=" /><input value='r&amp;s' name='RelayState' type='hidden'>
    <noscript><input type="submit" value="Submit" /></noscript></form>`;
  t.same(findSamlForm(html), { action: 'https://fleet.example/api/v1/fleet/sso/callback?a=1&b=2', fields: { SAMLResponse: 'PHNhbWxwOl+/=', RelayState: 'r&s' } });
  t.equal(findSamlForm('<form method="post" action="/x"><input name="user" value="a"></form>'), null);
});

t.test('findAadstsError reads the code, message and ids', async (t) => {
  const html = '<p id="error-message"><span id="error-code">AADSTS50105</span>: Your administrator has configured &#39;Fleet&#39;</p><dd id="request-id">r-1</dd><dd id="correlation-id">c-1</dd>';
  t.same(findAadstsError(html), { code: 'AADSTS50105', message: "AADSTS50105: Your administrator has configured 'Fleet'", requestId: 'r-1', correlationId: 'c-1' });
  t.equal(findAadstsError('<p>all good</p>'), null);
});

t.test('Fleet answer pages', async (t) => {
  t.equal(findFleetStatus('<script>window.location.href = "/fleet/login?status=account_disabled";</script>'), 'account_disabled');
  t.equal(findFleetStatus('<p>ok</p>'), null);
  t.equal(findFleetToken('document.cookie = "__Host-token=abc_D-1; path=/; secure"'), 'abc_D-1');
  t.equal(findFleetToken('document.cookie = "token=xyz; path=/"'), 'xyz');
  t.equal(findFleetToken(`localStorage.setItem('FLEET::auth_token', 'old-style')`), 'old-style');
  t.equal(findFleetToken('enrollment_token=nope;'), null);
  t.equal(findScriptRedirect('window.location.href = "/hosts\\u003c";'), '/hosts<');
  t.equal(decodeHtmlEntities('&lt;&#x41;&#66;&quot;'), '<AB"');
});

t.test('CookieJar: per host, deleted by Max-Age=0', async (t) => {
  const jar = new CookieJar();
  const fleet = new URL('https://fleet.example:8080/api');
  jar.store(fleet, ['__Host-FLEETSSOSESSIONID=s1; Path=/; Max-Age=900; Secure; HttpOnly', 'a=1']);
  t.equal(jar.header(new URL('https://fleet.example/other')), '__Host-FLEETSSOSESSIONID=s1; a=1');
  t.equal(jar.header(new URL('https://idp.example/')), undefined);
  jar.store(fleet, '__Host-FLEETSSOSESSIONID=; Path=/; Max-Age=0');
  t.equal(jar.header(fleet), 'a=1');
  t.equal(jar.get(fleet, 'a'), '1');
});
