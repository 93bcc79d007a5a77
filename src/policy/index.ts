// KubeArmor policies in user space: loading, matching, alerting, compiling for the kernel.
export { PolicyStore, type PolicyLoadReport, type PolicySnapshot } from './store';
export { PolicyEngine, type PolicyEngineOptions } from './engine';
export { compile, ruleInfo, type CompileResult, type CompiledRuleInfo, type ContainerSpec, type PostureSet } from './compile';
export { KernelReference, type KernelVerdict } from './kernel-reference';
export { loadPolicyPaths, parsePolicyText } from './load';
export { validatePolicyObject } from './validate';
export { formatPolicyError, type MatchRule, type NormalizedPolicy, type PolicyError } from './types';
