// Binds src/kernel/rules.ts KernelRuleWriter to the maps of one loaded object through the addon.
import { binding, MapUpdateFlag, type ObjectHandle } from '../native/binding';
import { native } from '../native/errors';
import type { RuleMapTarget } from './rules';

export function objectMapTarget(h: ObjectHandle): RuleMapTarget {
  const known = new Map<string, boolean>();
  return {
    update: (map, key, value) => native(() => binding().mapUpdate(h, map, key, value, MapUpdateFlag.Any), map),
    delete: (map, key) => native(() => binding().mapDelete(h, map, key), map),
    hasMap: (map) => {
      let has = known.get(map);
      if (has === undefined) {
        try {
          binding().mapLookup(h, map, Buffer.alloc(4));
          has = true;
        } catch (e) {
          has = (e as { code?: string }).code !== 'ENOENT';
        }
        known.set(map, has);
      }
      return has;
    },
  };
}
