// V8 flags the agent runs with. Everywhere it is started (bin/otelarmor, the Dockerfile's
// ENTRYPOINT, `npm start`, the benches that run it) passes these; test/unit/node-flags.test.ts
// checks that they agree.
//
// --single-threaded-gc: the garbage collector works on the agent's main thread only. By default
// V8 adds helper threads (parallel scavenge, concurrent marking) that run on other CPUs, i.e. on
// the workloads' CPUs of the node. bench/openat, file visible, 2 vCPUs, alternating runs
// (2026-12-04 21:45): 1.433x and 1.478x with it, 1.503x and 1.560x without; the loop then waits
// for no CPU (wall ratio = its CPU ratio). bench/export/kernel-otlp: 103,573 and 103,747/s with
// it, 103,605 and 103,410/s without, 0 lost in all four, agent CPU 6.3-6.5 vs 6.5-6.7 us/event.
export const AGENT_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
