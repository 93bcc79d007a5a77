// process.command_line sanitisation (src/otlp/redact.ts): exact outputs of the built-in rules and
// of configured patterns; the attribute exists only with otlpCommandLine and is always sanitised.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig } from '../../../src/config';
import { configFromEnv, loadConfigFile, parseFlags } from '../../../src/config-load';
import { otlpOptionsFromConfig, OtlpConfigError } from '../../../src/otlp';
import { LogsRequestEncoder } from '../../../src/otlp/encode';
import { attributesOf } from '../../../src/otlp/record';
import { commandLineRedactor, compileRedactPatterns, redactCommandLine } from '../../../src/otlp/redact';
import { fixture } from '../../fixtures/events';

describe('process.command_line sanitisation', () => {
  const cases: [string, string][] = [
    ['mysql -u root -p hunter2 shop', 'mysql -u root -p *** shop'],
    ['/usr/bin/app --password=hunter2 --user=bob', '/usr/bin/app --password=*** --user=bob'],
    ['/usr/bin/app --token abc123 --verbose', '/usr/bin/app --token *** --verbose'],
    ['/usr/bin/app --password --verbose', '/usr/bin/app --password --verbose'],
    ['env DB_PASSWORD=s3cr3t AWS_SECRET_ACCESS_KEY=AKIAxyz ./run', 'env DB_PASSWORD=*** AWS_SECRET_ACCESS_KEY=*** ./run'],
    ['helm upgrade web ./chart --set=db.password=pw,image.tag=1.2', 'helm upgrade web ./chart --set=db.password=***,image.tag=1.2'],
    ['git clone https://ghp_abcdef123@github.com/o/r.git', 'git clone https://***@github.com/o/r.git'],
    ['psql postgres://admin:pw0rd@db.internal:5432/app', 'psql postgres://admin:***@db.internal:5432/app'],
    ['curl -H Authorization: Bearer eyJhbGciOi.x.y https://api.example', 'curl -H Authorization: Bearer *** https://api.example'],
    ['wget --header=Proxy-Authorization: Basic dXNlcjpwdw== http://x', 'wget --header=Proxy-Authorization: Basic *** http://x'],
    ['app --api-key=K1 --apikey K2 --private_key=K3 --auth-token T --client-secret=S', 'app --api-key=*** --apikey *** --private_key=*** --auth-token *** --client-secret=***'],
    ['redis-cli -a x --pass=p2 -h cache', 'redis-cli -a x --pass=*** -h cache'],
    ['curl "https://h/api?user=bob&token=t0k&page=2"', 'curl "https://h/api?user=bob&token=***&page=2"'],
    // Not secrets: names that only contain a secret word inside another word, paths, plain URLs.
    ['/bin/ls --passive --author=bob --compass=N -la /etc/passwd', '/bin/ls --passive --author=bob --compass=N -la /etc/passwd'],
    ['curl https://example.com/x --user-agent=ua', 'curl https://example.com/x --user-agent=ua'],
    ['/usr/bin/id -u', '/usr/bin/id -u'],
  ];
  for (const [raw, want] of cases) {
    it(`built-in: ${raw}`, () => assert.equal(redactCommandLine(raw), want));
  }

  it('configured patterns: groups are replaced, or the whole match without groups', () => {
    const r = commandLineRedactor(compileRedactPatterns(['--pin[= ](\\d+)', 'sk_live_[0-9a-z]+', '(?:^|\\s)-k\\s+(\\S+)']));
    assert.equal(r('pay --pin 1234 key sk_live_abc123 --pin=99 -k K9 -x'), 'pay --pin *** key *** --pin=*** -k *** -x');
    // Built-in rules still apply with extra patterns.
    assert.equal(r('app --password=x --pin 7'), 'app --password=*** --pin ***');
  });

  it('bad patterns are an OtlpConfigError naming the key, the pattern and the reason', () => {
    const cfg = { ...defaultConfig(), otlpEndpoint: 'http://127.0.0.1:4317', otlpCommandLine: true };
    assert.throws(() => otlpOptionsFromConfig({ ...cfg, otlpCommandLineRedact: ['ok', '(unclosed'] }, {}),
      (e: unknown) => e instanceof OtlpConfigError && e.message.startsWith('otlpCommandLineRedact (--otlp-command-line-redact)="(unclosed": Invalid regular expression'));
    assert.throws(() => otlpOptionsFromConfig({ ...cfg, otlpCommandLineRedact: ['x*'] }, {}),
      (e: unknown) => e instanceof OtlpConfigError && e.message === 'otlpCommandLineRedact (--otlp-command-line-redact)="x*": matches the empty string');
    assert.deepEqual(otlpOptionsFromConfig({ ...cfg, otlpCommandLineRedact: ['--pin (\\d+)'] }, {})!.commandLineRedact.map(String), ['/--pin (\\d+)/dgi']);
  });

  it('patterns from flags (one per flag, commas kept), env (one per line) and the config file (a list)', () => {
    assert.deepEqual(parseFlags(['--otlp-command-line', '--otlp-command-line-redact', 'x{1,3}', '--otlp-command-line-redact=--pin (\\d+)']).config,
      { otlpCommandLine: true, otlpCommandLineRedact: ['x{1,3}', '--pin (\\d+)'] });
    assert.deepEqual(configFromEnv({ OTELARMOR_OTLP_COMMAND_LINE_REDACT: 'a,b\nc' }, () => undefined), { otlpCommandLineRedact: ['a,b', 'c'] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-redact-'));
    writeFileSync(path.join(dir, 'c.yaml'), 'otlpCommandLineRedact: ["k=(\\\\w+)", "y,z"]\n');
    assert.deepEqual(loadConfigFile(path.join(dir, 'c.yaml')), { otlpCommandLineRedact: ['k=(\\w+)', 'y,z'] });
  });

  it('the attribute is absent by default and sanitised when enabled (exec args and Source)', () => {
    const exec = fixture('exec');
    const ev = { ...exec, ka: { ...exec.ka, Resource: '/usr/bin/mysql -u root -p hunter2' }, extras: { ...exec.extras, args: ['/usr/bin/mysql', '-u', 'root', '-p', 'hunter2'] } };
    assert.equal('process.command_line' in attributesOf(ev, { commandLine: false }), false);
    assert.equal(attributesOf(ev, { commandLine: true })['process.command_line'], '/usr/bin/mysql -u root -p ***');
    const open = fixture('open');
    const ev2 = { ...open, ka: { ...open.ka, Source: '/usr/bin/app --token=abc /etc/shadow' } };
    assert.equal(attributesOf(ev2, { commandLine: true })['process.command_line'], '/usr/bin/app --token=*** /etc/shadow');
    const extra = commandLineRedactor(compileRedactPatterns(['root']));
    assert.equal(attributesOf(ev, { commandLine: true, redactCommandLine: extra })['process.command_line'], '/usr/bin/mysql -u *** -p ***');
  });

  it('the wire encoder writes the sanitised value, never the raw one', () => {
    const exec = fixture('exec');
    const ev = { ...exec, extras: { ...exec.extras, args: ['/usr/bin/curl', 'https://bob:pw@h/'] } };
    const bytes = new LogsRequestEncoder({}, { name: 'otelarmor', version: '0.1.0' }, { commandLine: true }).encode([ev]);
    assert.ok(bytes.includes('/usr/bin/curl https://bob:***@h/'));
    assert.ok(!bytes.includes('bob:pw@'));
  });
});
