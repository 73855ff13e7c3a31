// `samlscope fleet-sim` as a command: option problems reported together, banner, serving until stopped.
import t from 'tap';
import { pollUntil } from './wait.js';
import { request } from 'undici';
import { fleetSimCommand, parseUsers } from '../src/commands/fleet-sim.js';
import { parseCommandArgs, UsageError, type CommandIo } from '../src/commands/options.js';

function io(argv: string[], stop: Promise<void>) {
  const out: string[] = [];
  const value: CommandIo = { argv, env: {}, stdout: (s) => { out.push(s); }, stderr: () => undefined, readStdin: async () => Buffer.alloc(0), stopSignal: stop };
  return { io: value, out };
}

t.test('parseUsers', async (t) => {
  const problems: string[] = [];
  t.same(parseUsers(['a@x:sso', 'b@x:nosso', 'c@x', 'bad', 'd@x:maybe'], problems), [
    { email: 'a@x', ssoEnabled: true }, { email: 'b@x', ssoEnabled: false }, { email: 'c@x', ssoEnabled: true },
  ]);
  t.equal(problems.length, 2);
});

t.test('every option problem at once', async (t) => {
  const argv = ['--listen', 'nope', '--users', 'bad', '--tls-cert', 'x.pem', '--metadata', '/no/such/file.xml'];
  const { io: cio } = io(argv, Promise.resolve());
  const err = await fleetSimCommand.run(parseCommandArgs(fleetSimCommand, argv, {}), cio).catch((e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as UsageError).problems, [/^--listen/, /^--users/, /^--metadata/, /^--tls-cert and --tls-key/]);
});

t.test('serves until stopped, banner says it is not Fleet', async (t) => {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => { stop = r; });
  const argv = ['--listen', '127.0.0.1:0', '--users', 'alice@x:sso', '--api-token', 'T', '--server-url', 'https://fleet.example'];
  const { io: cio, out } = io(argv, stopped);
  const running = fleetSimCommand.run(parseCommandArgs(fleetSimCommand, argv, {}), cio);
  await pollUntil('the fleet-sim banner', () => out.length > 0, { everyMs: 20 });
  const banner = out.join('');
  t.match(banner, /fleet-sim: a Fleet stand-in for tests, not Fleet/);
  t.match(banner, /ACS URL: +https:\/\/fleet\.example\/api\/v1\/fleet\/sso\/callback/);
  const url = /Listening: +(\S+)/.exec(banner)?.[1] ?? '';
  const res = await request(url + '/api/v1/fleet/config', { headers: { authorization: 'Bearer T' } });
  t.match(await res.body.json(), { server_settings: { server_url: 'https://fleet.example' } });
  stop();
  t.equal(await running, 0);
});
