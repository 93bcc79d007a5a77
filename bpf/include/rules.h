/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Compiled policy rules as the kernel interprets them. Keep in sync with src/kernel/rule-types.ts
 * (lookup order and flag values are documented there). Sensors call rules__check_path() /
 * rules__check_num() once they know the event's target; the verdict says whether the event
 * must leave the kernel although its category is invisible (OA_V_MATCH) and whether the
 * kill-on-attempt enforcer must stop the caller (OA_V_KILL). */
#ifndef __OA_RULES_H
#define __OA_RULES_H

#define OA_RK_PROCESS 1
#define OA_RK_FILE 2
#define OA_RK_NETWORK 3
#define OA_RK_CAPABILITY 4
#define OA_RK_SYSCALL 5

/* verdict bits */
#define OA_V_MATCH (1U << 0)
#define OA_V_KILL (1U << 1)

/* Placeholder until the enforcement layer lands: nothing matches. Signatures are fixed.
 * abs_path points to a NUL-terminated absolute path in BPF memory (per-CPU scratch);
 * open_flags is the open(2) flags word or 0; rule_id receives the matched rule id or 0. */
static __always_inline __u32 rules__check_path(__u32 kind, const char *abs_path, __u32 open_flags,
					       __u32 *rule_id)
{
	*rule_id = 0;
	return 0;
}

static __always_inline __u32 rules__check_num(__u32 kind, __u32 num, __u32 *rule_id)
{
	*rule_id = 0;
	return 0;
}

#endif /* __OA_RULES_H */
