// Static checks of the Dockerfile (no Docker engine and no hadolint on this machine): every COPY from
// the build context names a file that exists and that .dockerignore does not exclude, base images are
// pinned, the build stage has the toolchain and the runtime stage the shared libraries the addon links.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
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

  it('starts the CLI that tsc emits, with the chart\'s config path', () => {
    assert.match(dockerfile, /^ENTRYPOINT \["node", "\/opt\/otelarmor\/dist\/src\/cli\.js"\]$/m);
    assert.ok(existsSync(path.join(ROOT, 'src', 'cli.ts')));
    assert.match(dockerfile, /^CMD \["run", "--config", "\/etc\/otelarmor\/config\.yaml"\]$/m);
  });
});
