// Typed errors of the native layer (src/native/errors.ts) on real libbpf failures: a file that is
// not an ELF object, a program the verifier refuses (test/progs/bad-verifier.bpf.c), an object
// without the sensors' .rodata, and calls on a closed object.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KernelSensors } from '../../src/kernel/sensors';
import { binding } from '../../src/native/binding';
import { BpfLoadError, native, VerifierError } from '../../src/native/errors';
import { requireFile, requireRoot } from '../helpers/env';

describe('kernel sensors: typed load and verifier errors', function () {
  this.timeout(30000);
  let dir: string;
  let bad: string;

  before(function () {
    requireRoot(this);
    requireFile(this, 'native/build/otelarmor.node');
    bad = requireFile(this, 'test/progs/build/bad-verifier.bpf.o');
    dir = mkdtempSync(path.join(os.tmpdir(), 'oa-errors-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a corrupt object file: BpfLoadError from bpf_object__open_file naming the file', () => {
    const corrupt = path.join(dir, 'corrupt.bpf.o');
    writeFileSync(corrupt, Buffer.from('\x7fELF this is not an object file\n'.repeat(64)));
    assert.throws(
      () => KernelSensors.open({ ringbufBytes: 65536, objectPath: corrupt }),
      (e: unknown) => {
        assert.ok(e instanceof BpfLoadError, `got ${String(e)}`);
        assert.equal(e.name, 'BpfLoadError');
        assert.equal(e.op, 'bpf_object__open_file');
        assert.equal(e.message.startsWith(`bpf_object__open_file: cannot open ${corrupt} (`), true, e.message);
        return true;
      },
    );
  });

  it('a program the verifier refuses: VerifierError (EACCES, bpf_object__load) with the verifier log', () => {
    const b = binding();
    const h = native(() => b.objectOpen(bad, { rodata: null, mapMaxEntries: null, reuseMaps: null, autoload: null }));
    try {
      assert.throws(
        () => native(() => b.objectLoad(h)),
        (e: unknown) => {
          assert.ok(e instanceof VerifierError, `got ${String(e)}`);
          assert.equal(e.name, 'VerifierError');
          assert.deepEqual([e.code, e.op], ['EACCES', 'bpf_object__load']);
          assert.equal(e.message, 'bpf_object__load: cannot load object (Permission denied)');
          assert.match(e.verifierLog, /prog 'oa_bad_deref': BPF program load failed/);
          assert.match(e.verifierLog, /R\d invalid mem access 'scalar'/);
          assert.match(e.verifierLog, /processed \d+ insns/);
          return true;
        },
      );
    } finally {
      b.objectClose(h);
    }
  });

  it('an object without the sensors\' .rodata: BpfLoadError naming the libbpf call', () => {
    assert.throws(
      () => KernelSensors.open({ ringbufBytes: 65536, objectPath: bad }),
      (e: unknown) => {
        assert.ok(e instanceof BpfLoadError, `got ${String(e)}`);
        assert.deepEqual([e.code, e.op], ['ENOENT', 'bpf_map__set_initial_value']);
        return true;
      },
    );
  });

  it('calls on a stopped KernelSensors: typed errors, never raw addon errors', async () => {
    const s = KernelSensors.open({ ringbufBytes: 65536 });
    await s.stop();
    const closed = (e: unknown): boolean => {
      assert.ok(e instanceof BpfLoadError, `got ${String(e)}`);
      assert.deepEqual([e.code, e.op, e.message], ['EBADF', 'object', 'object: object already closed (Bad file descriptor)']);
      return true;
    };
    assert.throws(() => s.programs(), closed); // programList
    assert.throws(() => s.stats(), closed); // mapLookupPercpu
    assert.equal(await s.stop(), 0, 'stop is idempotent');
  });
});
