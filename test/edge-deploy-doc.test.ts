// docs/deploy.md stays true: its systemd unit passes systemd-analyze verify, its commands use options that exist, README links it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeConfigCommand } from '../src/commands/edge-config.js';
import { proxyCommand } from '../src/commands/proxy.js';

const doc = readFileSync('docs/deploy.md', 'utf8');

t.test('the hardened systemd unit passes systemd-analyze verify', async (t) => {
  const unit = /```ini\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!unit) { t.fail('no ini block in docs/deploy.md'); return; }
  for (const k of ['DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=', 'SystemCallFilter=@system-service']) t.match(unit, k);
  const file = join(mkdtempSync(join(tmpdir(), 'samlscope-unit-')), 'samlscope.service');
  writeFileSync(file, unit);
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (r.error) { t.fail(`systemd-analyze cannot run here (${r.error.message}): install systemd`); return; }
  t.equal(r.status, 0, `systemd-analyze verify: ${r.stderr}`);
  t.equal(r.stderr.trim(), '', 'no warnings');
});

t.test('every --option the guide uses exists on its command', async (t) => {
  const options = new Set([...Object.keys(proxyCommand.options), ...Object.keys(edgeConfigCommand.options)]);
  const used = new Set([...doc.matchAll(/(?<![\w-])--([a-z][a-z_-]+)/g)].map((m) => m[1]));
  // options of other programs the guide names (orbit, osquery, npm, Docker) and --help
  for (const other of ['fleet-certificate', 'tls_server_certs', 'omit', 'force', 'from', 'help']) used.delete(other);
  for (const o of used) t.ok(options.has(o), `--${o}`);
  t.match(readFileSync('README.md', 'utf8'), /\(docs\/deploy\.md\)/, 'README links the guide');
});
