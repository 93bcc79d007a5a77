// Capability records (capability/cap_capable tracepoint, deduped per (tgid, cap) in the kernel) →
// KubeArmor "Capabilities" events. KubeArmor's only capability event shape is the BPF-LSM
// enforcer's (enforcer/bpflsm/enforcer.go): Resource "CAP_NET_RAW", Data "lsm=CAPABLE CAP_NET_RAW".
// The same strings are used here so capability rules, karmor filters and EventData
// ({"Lsm":"CAPABLE"}) behave as with KubeArmor; extras.syscall names the real hook ("cap_capable").
// Result: "Passed" when granted, "Operation not permitted" (-EPERM) when denied.
import type { CapabilityRecord } from '../events/record';
import { capabilityName, capabilityPolicyName } from '../format/capabilities';
import { isInt, type HandlerContext, type HandlerResult } from './common';

export function handleCapability(rec: CapabilityRecord, _ctx: HandlerContext): HandlerResult {
  if (!isInt(rec.cap) || rec.cap < 0 || !isInt(rec.ret)) return 'capability_fields';
  const name = capabilityName(rec.cap);
  return {
    operation: 'Capabilities',
    resource: name,
    data: `lsm=CAPABLE ${name}`,
    ret: rec.ret,
    syscall: 'cap_capable',
    extras: { capability: capabilityPolicyName(rec.cap) },
  };
}
