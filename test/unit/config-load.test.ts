import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfigFile, parseFlags, resolveConfig } from '../../src/config-load';
import { defaultConfig } from '../../src/config';

describe('config-load', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'oa-config-'));

  it('embedded defaults: host visibility process,file,network, loopback listeners, stdout', () => {
    const c = resolveConfig([], {}, () => {});
    assert.deepEqual(c, defaultConfig());
    assert.deepEqual(c.hostVisibility, ['process', 'file', 'network']);
    assert.equal(c.metricsAddress, '127.0.0.1:9464');
    assert.equal(c.grpcAddress, '127.0.0.1:32767');
    assert.equal(c.healthGrpcAddress, '127.0.0.1:32766');
    assert.equal(c.output, 'stdout');
  });

  it('flags: --key value, --key=value, repeatable lists, boolean without value', () => {
    const f = parseFlags(['--output', 'jsonl:/tmp/x', '--duration=5', '--policies', 'a', '--policies=b,c', '--otlp-metrics', '--host-visibility', 'none']);
    assert.deepEqual(f.config, { output: 'jsonl:/tmp/x', duration: 5, policies: ['a', 'b', 'c'], otlpMetrics: true, hostVisibility: [] });
  });

  it('precedence: flag > env > file > default', () => {
    const file = path.join(tmp, 'c.yaml');
    writeFileSync(file, 'cluster: from-file\nmaxAlertPerSec: 3\nthrottleSec: 7\n');
    const c = resolveConfig(['--config', file, '--cluster', 'from-flag'], { OTELARMOR_MAX_ALERT_PER_SEC: '4' }, () => {});
    assert.equal(c.cluster, 'from-flag');
    assert.equal(c.maxAlertPerSec, 4);
    assert.equal(c.throttleSec, 7);
  });

  it('bad explicit values name the source and key', () => {
    assert.throws(() => parseFlags(['--visibility', 'process,files']), (e: unknown) =>
      e instanceof ConfigError && e.message === 'flag --visibility: visibility: unknown category "files" (allowed: process, file, network, capabilities, syscall, none)');
    assert.throws(() => parseFlags(['--no-such-flag']), /command line: --no-such-flag: unknown flag/);
    assert.throws(() => parseFlags(['--duration']), /command line: --duration: missing value/);
    const file = path.join(tmp, 'bad.yaml');
    writeFileSync(file, 'defaultFilePosture: deny\n');
    assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigError && e.message === `${file}: defaultFilePosture: expected audit or block, got "deny"`);
    writeFileSync(file, 'clusterName: x\n');
    assert.throws(() => loadConfigFile(file), new RegExp(`^ConfigError: ${file.replace(/[/.]/g, '\\$&')}: clusterName: unknown key`));
  });

  it('bad env values warn and fall back', () => {
    const warnings: string[] = [];
    const c = resolveConfig([], { OTELARMOR_ENFORCER: 'lsm' }, (m) => warnings.push(m));
    assert.equal(c.enforcer, 'auto');
    assert.deepEqual(warnings, ['env OTELARMOR_ENFORCER: enforcer: expected one of auto|audit, got "lsm"; using the default']);
  });
});
