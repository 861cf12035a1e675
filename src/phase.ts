/**
 * Which part of the process's life a stall belongs to. What blocks while modules load and the
 * entry's top-level code runs is a different question from what blocks requests, so every stall
 * carries one of these, and sites, log lines and metrics keep the two apart. A module of its own,
 * with no imports, so every layer can name it.
 */
export const PHASES = ['startup', 'runtime'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * `startup` when the stall began before start-up ended (or start-up has not ended yet: a process
 * hung while loading is still starting up).
 */
export function phaseAt(beganNs: bigint, startupEndedNs: bigint | null): Phase {
  return startupEndedNs === null || beganNs < startupEndedNs ? 'startup' : 'runtime';
}
