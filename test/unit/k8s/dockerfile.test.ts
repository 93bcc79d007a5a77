// Static checks of the Dockerfile (no Docker engine and no hadolint on this machine): every COPY from
// the build context names a file that exists and that .dockerignore does not exclude, base images are
// pinned, the build stage has the toolchain and the runtime stage the shared libraries the addon links.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../../helpers/env';

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const stages = lines.filter((l) => l.startsWith('FROM '));

describe('Dockerfile (static checks)', () => {
  it('pins every base image to a version', () => {
    assert.deepEqual(stages, [
      'FROM openpolicyagent/opa:${OPA_VERSION}-static AS opa',
      'FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS build',
      'FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS runtime',
    ]);
    assert.match(dockerfile, /^ARG NODE_VERSION=20\.\d+\.\d+$/m);
    const opa = /^OPA_VERSION=v(.*)$/m.exec(readFileSync(path.join(ROOT, 'scripts', 'versions.env'), 'utf8'))?.[1];
    assert.match(dockerfile, new RegExp(`^ARG OPA_VERSION=${opa!.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('copies only context paths that exist and are not excluded by .dockerignore', () => {
    const copies = lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    assert.ok(copies.length >= 8);
    for (const c of copies) {
      const parts = c.split(/\s+/).slice(1);
      for (const src of parts.slice(0, -1)) {
        assert.ok(existsSync(path.join(ROOT, src)), `${c}: ${src} does not exist`);
        const top = src.replace(/\/$/, '');
        assert.ok(!ignored.includes(top), `${c}: ${src} is excluded by .dockerignore`);
      }
    }
  });

  it('installs the BPF toolchain in the build stage and the shared libraries in the runtime stage', () => {
    const [build, runtime] = [dockerfile.indexOf('AS build'), dockerfile.indexOf('AS runtime')];
    const buildPart = dockerfile.slice(build, runtime);
    for (const p of ['clang', 'llvm', 'libbpf-dev', 'bpftool', 'libelf-dev', 'zlib1g-dev']) assert.match(buildPart, new RegExp(`\\s${p}\\s`), p);
    const runPart = dockerfile.slice(runtime);
    for (const p of ['libbpf1', 'libelf1', 'zlib1g']) assert.match(runPart, new RegExp(`\\s${p}\\s`), p);
    assert.match(runPart, /COPY --from=build \/src\/native\/build\/otelarmor\.node native\/build\/otelarmor\.node/);
    assert.match(runPart, /COPY --from=build \/src\/bpf\/\.output\/ bpf\/\.output\//);
    assert.match(buildPart, /npm prune --omit=dev/);
  });

  it('builds the TypeScript with npm run build:ts, which copies src/grpc/*.proto into dist/src/grpc', () => {
    const buildPart = dockerfile.slice(dockerfile.indexOf('AS build'), dockerfile.indexOf('AS runtime'));
    assert.match(buildPart, /&& npm run build:ts\n/);
    assert.doesNotMatch(buildPart, /npx tsc/);
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts['build:ts'], 'tsc -p tsconfig.json && cp src/grpc/*.proto dist/src/grpc/');
    assert.match(scripts.build!, /&& npm run build:ts &&/);
  });

  it('dist/ alone (as the runtime stage copies it, without src/) loads the gRPC protos', () => {
    const protos = readdirSync(path.join(ROOT, 'src', 'grpc')).filter((f) => f.endsWith('.proto')).sort();
    assert.deepEqual(protos, ['health.proto', 'kubearmor.proto']);
    for (const f of protos) {
      const built = path.join(ROOT, 'dist', 'src', 'grpc', f);
      assert.ok(existsSync(built), `${built} missing: dist/ was built without \`npm run build:ts\` (a bare tsc does not copy the .proto files)`);
      assert.equal(readFileSync(built, 'utf8'), readFileSync(path.join(ROOT, 'src', 'grpc', f), 'utf8'), `${built} is stale`);
    }
    // /opt/otelarmor of the image: dist/ and node_modules/, no src/.
    const img = mkdtempSync(path.join(tmpdir(), 'otelarmor-image-'));
    try {
      cpSync(path.join(ROOT, 'dist', 'src', 'grpc'), path.join(img, 'dist', 'src', 'grpc'), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(img, 'node_modules'));
      const probe = "const p = require(process.argv[1]); const d = p.loadProtos(); console.log(JSON.stringify([p.protoPath('kubearmor.proto'), p.protoPath('health.proto'), Object.keys(d.LogService).sort(), Object.keys(d.HealthService).sort()]))";
      const r = spawnSync(process.execPath, ['-e', probe, path.join(img, 'dist', 'src', 'grpc', 'proto.js')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [
        path.join(img, 'dist', 'src', 'grpc', 'kubearmor.proto'), path.join(img, 'dist', 'src', 'grpc', 'health.proto'),
        ['HealthCheck', 'WatchAlerts', 'WatchLogs', 'WatchMessages'], ['Check', 'Watch'],
      ]);
    } finally {
      rmSync(img, { recursive: true, force: true });
    }
  });

  it('starts the CLI that tsc emits, with the chart\'s config path', () => {
    assert.match(dockerfile, /^ENTRYPOINT \["node", "--single-threaded-gc", "\/opt\/otelarmor\/dist\/src\/cli\.js"\]$/m);
    assert.ok(existsSync(path.join(ROOT, 'src', 'cli.ts')));
    assert.match(dockerfile, /^CMD \["run", "--config", "\/etc\/otelarmor\/config\.yaml"\]$/m);
  });
});
