// Enforcement: mode detection (detect.ts), the Enforcer (enforcer.ts), mode names (mode.ts).
export { detectEnforcer, findCgroup2Root, probeKillOnAttempt, probeLsm, type DetectOptions } from './detect';
export { Enforcer, type EnforcerOptions, type EnforcerStatus, type RuleMapsOwner } from './enforcer';
export { ENFORCER_MODES, EnforceValue, enforceValue, type EnforcerDetection, type EnforcerMode } from './mode';
export { objectMapTarget } from '../kernel/map-target';
