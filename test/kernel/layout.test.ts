// Every offset and size src/events/decode.ts uses, checked against the BTF clang emitted for
// bpf/include/events.h (bpf/layout.bpf.o is compiled from the same header as sensors.bpf.o).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ARRAY_ELEMS, LAYOUT } from '../../src/events/decode';
import { requireFile } from '../helpers/env';

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number }[];
}

function typeSize(types: Map<number, BtfType>, id: number): number {
  const t = types.get(id);
  if (!t) throw new Error(`BTF type ${id} missing`);
  switch (t.kind) {
    case 'INT':
    case 'STRUCT':
    case 'UNION':
    case 'ENUM':
      return t.size!;
    case 'ARRAY':
      return t.nr_elems! * typeSize(types, t.type_id!);
    case 'TYPEDEF':
    case 'CONST':
    case 'VOLATILE':
      return typeSize(types, t.type_id!);
    default:
      throw new Error(`BTF kind ${t.kind} not expected in a wire struct`);
  }
}

describe('wire layout (decode.ts vs BTF of events.h)', function () {
  let structs: Map<string, BtfType>;
  let types: Map<number, BtfType>;

  before(function () {
    const obj = requireFile(this, 'bpf/.output/layout.bpf.o');
    const bpftool = requireFile(this, '/usr/sbin/bpftool');
    const out = JSON.parse(execFileSync(bpftool, ['btf', 'dump', 'file', obj, '-j'], { encoding: 'utf8' })) as { types: BtfType[] };
    types = new Map(out.types.map((t) => [t.id, t]));
    structs = new Map(out.types.filter((t) => t.kind === 'STRUCT').map((t) => [t.name, t]));
  });

  for (const [name, want] of Object.entries(LAYOUT)) {
    it(`struct ${name}: size and every field offset/size`, () => {
      const s = structs.get(name);
      assert.ok(s, `struct ${name} not in BTF`);
      assert.equal(s.size, want.size, `sizeof(struct ${name})`);
      const got: Record<string, [number, number]> = {};
      for (const m of s.members ?? []) got[m.name] = [m.bits_offset / 8, typeSize(types, m.type_id)];
      assert.deepEqual(got, Object.fromEntries(Object.entries(want.fields).map(([k, v]) => [k, [v[0], v[1]]])));
    });
  }

  it('array fields: outer dimension of every ARRAY_ELEMS entry (element size = field size / count)', () => {
    for (const [key, n] of Object.entries(ARRAY_ELEMS)) {
      const [sname, fname] = key.split('.') as [string, string];
      const m = structs.get(sname)?.members?.find((x) => x.name === fname);
      assert.ok(m, `${key} not in BTF`);
      let t = types.get(m.type_id)!;
      while (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE') t = types.get(t.type_id!)!;
      assert.equal(t.kind, 'ARRAY', `${key} is not an array`);
      assert.equal(t.nr_elems, n, `${key} dimension`);
    }
  });
});
