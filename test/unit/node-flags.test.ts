// Every place that starts the agent passes AGENT_NODE_FLAGS (src/node-flags.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AGENT_NODE_FLAGS } from '../../src/node-flags';
import { ROOT } from '../helpers/env';

const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

describe('agent node flags', () => {
  it('bin/otelarmor, the Dockerfile ENTRYPOINT and npm start pass exactly AGENT_NODE_FLAGS', () => {
    assert.deepEqual(AGENT_NODE_FLAGS, ['--single-threaded-gc']);
    const flags = AGENT_NODE_FLAGS.join(' ');
    assert.equal(read('bin/otelarmor').split('\n')[0], `#!/usr/bin/env -S node ${flags}`);
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    assert.deepEqual(JSON.parse(entry ?? 'null'), ['node', ...AGENT_NODE_FLAGS, '/opt/otelarmor/dist/src/cli.js']);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, `node ${flags} dist/src/cli.js run`);
  });
});
