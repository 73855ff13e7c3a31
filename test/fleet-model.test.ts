// The model of Fleet's callback read (src/fleet/callback-request.ts): one row per Go or Fleet rule, asserting outcome, status, reason and source.
import t from 'tap';
import {
  MAX_SSO_CALLBACK_BYTES, decodeBase64Go, parseMediaTypeGo, rawQueryOf, readCallbackRequest,
  type CallbackRequest, type FleetCallbackRead, type ReadOptions,
} from '../src/fleet/callback-request.js';

const XML = '<samlp:Response ID="_1"/>';
const B64 = Buffer.from(XML).toString('base64'); // PHNhbWxwOlJlc3BvbnNlIElEPSJfMSIvPg==
const ENC = encodeURIComponent(B64);
const PATH = '/api/v1/fleet/sso/callback';
const FORM = 'application/x-www-form-urlencoded';

function req(over: Partial<CallbackRequest> & { bodyText?: string }): CallbackRequest {
  const body = over.body ?? Buffer.from(over.bodyText ?? '', 'latin1');
  return { method: 'POST', target: PATH, contentType: FORM, body, bodyOverCap: false, ...over };
}

interface Row {
  rule: string;
  r: CallbackRequest;
  opts?: ReadOptions;
  want: { outcome: 'read'; source: 'body' | 'query'; saml?: string; relay?: string | null } | { outcome: 'refused'; status: 400 | 413; reason: string };
}

const rows: Row[] = [
  // ParseForm / parsePostForm
  { rule: 'urlencoded POST body is read', r: req({ bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body', saml: B64 } },
  { rule: 'PUT and PATCH bodies are parsed too', r: req({ method: 'PATCH', bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'GET body is not parsed', r: req({ method: 'GET', bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: 'empty Content-Type is application/octet-stream: body ignored', r: req({ contentType: '', bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: 'absent Content-Type: body ignored, query used', r: req({ contentType: undefined, target: `${PATH}?SAMLResponse=${ENC}`, bodyText: 'SAMLResponse=x' }), want: { outcome: 'read', source: 'query', saml: B64 } },
  { rule: 'multipart/form-data is not parsed by ParseForm', r: req({ contentType: 'multipart/form-data; boundary=x', bodyText: `--x\r\nContent-Disposition: form-data; name="SAMLResponse"\r\n\r\n${B64}\r\n--x--` }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: 'text/plain body is not parsed', r: req({ contentType: 'text/plain', bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: 'JSON-looking body in a form is just a form (no sniffing)', r: req({ bodyText: `{"log":{"entries":[]}}&SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body', saml: B64 } },
  { rule: 'XML body in a form is a key without value (no sniffing)', r: req({ bodyText: XML }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: 'body values before query values', r: req({ target: `${PATH}?SAMLResponse=AAAA`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body', saml: B64 } },
  { rule: 'query value when the body has none', r: req({ target: `${PATH}?SAMLResponse=${ENC}`, bodyText: 'RelayState=r' }), want: { outcome: 'read', source: 'query', saml: B64, relay: 'r' } },
  { rule: 'first value wins', r: req({ bodyText: `SAMLResponse=${ENC}&SAMLResponse=AAAA` }), want: { outcome: 'read', source: 'body', saml: B64 } },
  { rule: 'empty first value wins: missing', r: req({ bodyText: `SAMLResponse=&SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: 'empty body value shadows the query value', r: req({ target: `${PATH}?SAMLResponse=${ENC}`, bodyText: 'SAMLResponse' }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  // mime.ParseMediaType
  { rule: 'media type case and spaces', r: req({ contentType: '  Application/X-WWW-Form-URLEncoded ; Charset=UTF-8', bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'NBSP (C2 A0) after the type is trimmed (unicode.IsSpace)', r: req({ contentType: `${FORM}\xc2\xa0`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: "'İ' (C4 B0) lowercases to 'i'", r: req({ contentType: 'appl\xc4\xb0cation/x-www-form-urlencoded', bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'trailing semicolon is ignored', r: req({ contentType: `${FORM};`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'two trailing semicolons are an error', r: req({ contentType: `${FORM};;`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'equal duplicate parameters are allowed', r: req({ contentType: `${FORM}; charset=a; CHARSET=a`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'equal duplicate parameters are an error in Go 1.19', r: req({ contentType: `${FORM}; charset=a; CHARSET=a`, bodyText: `SAMLResponse=${ENC}` }), opts: { equalDuplicateParams: false }, want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'unequal duplicate parameters are an error', r: req({ contentType: `${FORM}; charset=a; charset=b`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'quoted parameter value', r: req({ contentType: `${FORM}; a="x;y\\"z"`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'unterminated quoted value is an error', r: req({ contentType: `${FORM}; a="x`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'parameter without value is an error', r: req({ contentType: `${FORM}; charset`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'non-token byte in the type is an error', r: req({ contentType: 'application/x-www-form-urlencoded\xff', bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'media type error with a good query: still 400', r: req({ contentType: 'a/b/c', target: `${PATH}?SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'media type error is not checked for GET', r: req({ method: 'GET', contentType: 'a/b/c', target: `${PATH}?SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'query' } },
  // url.ParseQuery
  { rule: "'+' is a space (base64 then fails)", r: req({ bodyText: 'SAMLResponse=QU+D' }), want: { outcome: 'refused', status: 400, reason: 'base64' } },
  { rule: "'%2B' is '+'", r: req({ bodyText: 'SAMLResponse=QU%2BD' }), want: { outcome: 'read', source: 'body', saml: 'QU+D' } },
  { rule: 'semicolon in a pair is an error', r: req({ bodyText: `SAMLResponse=${ENC};a=b` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'semicolon in the query is an error even with a good body', r: req({ target: `${PATH}?a=1;b=2`, bodyText: `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'invalid % escape is an error', r: req({ bodyText: `SAMLResponse=${ENC}&x=%G1` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'truncated % escape at the end of a key is an error', r: req({ bodyText: `a%4=b&SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'keys are unescaped: SAML%52esponse', r: req({ bodyText: `SAML%52esponse=${ENC}` }), want: { outcome: 'read', source: 'body', saml: B64 } },
  { rule: 'keys are case-sensitive: samlresponse is another field', r: req({ bodyText: `samlresponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: "'SAMLResponse+' is another field", r: req({ bodyText: `SAMLResponse+=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'missing' } },
  { rule: 'empty pairs and empty keys are skipped', r: req({ bodyText: `&&=x&SAMLResponse=${ENC}&` }), want: { outcome: 'read', source: 'body' } },
  { rule: '%00 and %FF are bytes (base64 fails)', r: req({ bodyText: 'SAMLResponse=%00%FF' }), want: { outcome: 'refused', status: 400, reason: 'base64' } },
  { rule: "'#' is part of the raw query (no fragment in a request-target)", r: req({ target: `${PATH}?SAMLResponse=${ENC}#frag`, contentType: undefined }), want: { outcome: 'refused', status: 400, reason: 'base64' } },
  { rule: 'over 10000 parameters is an error (Go ≥ 1.24.12/1.25.6)', r: req({ bodyText: '&'.repeat(10_000) + `SAMLResponse=${ENC}` }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'exactly 10000 parameters is fine', r: req({ bodyText: '&'.repeat(9_999) + `SAMLResponse=${ENC}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'no parameter limit in Go 1.19 (maxQueryParams 0)', r: req({ bodyText: '&'.repeat(10_000) + `SAMLResponse=${ENC}` }), opts: { maxQueryParams: 0 }, want: { outcome: 'read', source: 'body' } },
  // the 256 KiB cap
  { rule: 'form body over the cap is 413', r: req({ body: Buffer.alloc(MAX_SSO_CALLBACK_BYTES + 1, 0x61), bodyOverCap: true }), want: { outcome: 'refused', status: 413, reason: 'body_too_large' } },
  { rule: 'form body of exactly the cap is read', r: req({ bodyText: `SAMLResponse=${ENC}&p=` + 'a'.repeat(MAX_SSO_CALLBACK_BYTES - 13 - ENC.length - 3) }), want: { outcome: 'read', source: 'body' } },
  { rule: 'non-form body over the cap is never read: query used', r: req({ contentType: 'application/json', target: `${PATH}?SAMLResponse=${ENC}`, body: Buffer.alloc(MAX_SSO_CALLBACK_BYTES + 1, 0x7b), bodyOverCap: true }), want: { outcome: 'read', source: 'query' } },
  { rule: 'media type error beats the 413', r: req({ contentType: `${FORM}; x`, body: Buffer.alloc(MAX_SSO_CALLBACK_BYTES + 1, 0x61), bodyOverCap: true }), want: { outcome: 'refused', status: 400, reason: 'form_parse' } },
  { rule: 'query error does not beat the 413', r: req({ target: `${PATH}?a;b`, body: Buffer.alloc(MAX_SSO_CALLBACK_BYTES + 1, 0x61), bodyOverCap: true }), want: { outcome: 'refused', status: 413, reason: 'body_too_large' } },
  // base64.StdEncoding
  { rule: 'CR and LF are ignored anywhere', r: req({ bodyText: `SAMLResponse=${encodeURIComponent(B64.slice(0, 5) + '\r\n' + B64.slice(5, -1) + '\n=\r\n')}` }), want: { outcome: 'read', source: 'body' } },
  { rule: 'spaces are not base64', r: req({ bodyText: `SAMLResponse=${encodeURIComponent(B64.slice(0, 8) + ' ' + B64.slice(8))}` }), want: { outcome: 'refused', status: 400, reason: 'base64' } },
  { rule: 'missing padding is an error', r: req({ bodyText: `SAMLResponse=${encodeURIComponent(B64.replace(/=+$/, ''))}` }), want: { outcome: 'refused', status: 400, reason: 'base64' } },
  { rule: 'URL-safe alphabet is an error', r: req({ bodyText: 'SAMLResponse=ab-_' }), want: { outcome: 'refused', status: 400, reason: 'base64' } },
];

function pick(got: FleetCallbackRead): Record<string, unknown> {
  return got.outcome === 'read'
    ? { outcome: got.outcome, source: got.source, saml: got.samlResponse, relay: got.relayState }
    : { outcome: got.outcome, status: got.status, reason: got.reason };
}

t.test('one row per rule', async (t) => {
  for (const row of rows) {
    const got = readCallbackRequest(row.r, row.opts);
    t.match(pick(got), row.want, row.rule);
  }
});

t.test('read: decoded bytes and RelayState bytes', async (t) => {
  const got = readCallbackRequest(req({ bodyText: `RelayState=%FF+%00&SAMLResponse=${ENC}` }));
  t.equal(got.outcome, 'read');
  if (got.outcome !== 'read') return;
  t.equal(got.decoded.toString('utf8'), XML);
  t.equal(got.relayState, '\xff \x00');
  const none = readCallbackRequest(req({ bodyText: `SAMLResponse=${ENC}` }));
  t.equal(none.outcome === 'read' && none.relayState, null);
});

t.test('decodeBase64Go: StdEncoding, strict padding, lenient trailing bits', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['', ''], ['QQ==', '41'], ['QR==', '41'], ['QUI=', '4142'], ['QUJD', '414243'], ['Q\nQ\r=\n=', '41'],
    ['QQ=', null], ['QQ', null], ['Q===', null], ['QUJD=', null], ['QQ==QQ==', null], ['QQ== ', null], ['Q Q==', null],
    ['QQ==\r\n', '41'], ['=', null], ['QU-_', null], ['\t', null], ['\n', ''],
  ];
  for (const [input, hex] of cases) {
    const got = decodeBase64Go(input);
    t.equal(got === null ? null : got.toString('hex'), hex, JSON.stringify(input));
  }
});

t.test('parseMediaTypeGo: type and error', async (t) => {
  t.same(parseMediaTypeGo('text'), { type: 'text', error: null });
  t.match(parseMediaTypeGo('/plain'), { type: '', error: /no media type/ });
  t.match(parseMediaTypeGo('text/'), { error: /token after slash/ });
  t.match(parseMediaTypeGo('text/plain x'), { error: /unexpected content/ });
  t.match(parseMediaTypeGo('text/plain; a=1 b'), { type: 'text/plain', error: /invalid media parameter/ });
  t.same(parseMediaTypeGo('text/plain; a=""'), { type: 'text/plain', error: null });
  t.same(parseMediaTypeGo('TEXT/PLAIN;\t a = 1 ;'), { type: 'text/plain', error: null });
  t.same(parseMediaTypeGo('\xe2\x80\x83text/plain'), { type: 'text/plain', error: null }, 'EM SPACE (E2 80 83) trimmed');
  t.same(parseMediaTypeGo('te\xe2\x84\xaaxt/plain'), { type: 'tekxt/plain', error: null }, 'Kelvin sign lowercases to k');
  t.same(parseMediaTypeGo('\xe2\x84\xaa/x'), { type: 'k/x', error: null });
  t.match(parseMediaTypeGo('text/plain; a*=1; a*=2'), { type: '', error: /duplicate/ });
});

t.test('rawQueryOf: after the first ?, fragment kept', async (t) => {
  t.equal(rawQueryOf('/p?a=1?b#c'), 'a=1?b#c');
  t.equal(rawQueryOf('/p#x?y'), 'y');
  t.equal(rawQueryOf('/p'), '');
});

t.test('linear on large adversarial bodies', async (t) => {
  const shapes = [
    'a&'.repeat(MAX_SSO_CALLBACK_BYTES / 2), // many keys without '='
    'SAMLResponse=' + '%41'.repeat(MAX_SSO_CALLBACK_BYTES / 3 - 5),
    'k'.repeat(MAX_SSO_CALLBACK_BYTES - 2) + '=v',
    '=' .repeat(MAX_SSO_CALLBACK_BYTES),
  ];
  for (const s of shapes) {
    const started = process.hrtime.bigint();
    readCallbackRequest(req({ bodyText: s }), { maxQueryParams: 0 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    t.ok(ms < 200, `${s.slice(0, 12)}… in ${ms.toFixed(1)} ms`);
  }
});
