import type { EngineCounters } from '@shared/events';

/** A forwarder that has counted nothing yet. */
export const ZERO_COUNTERS: EngineCounters = {
  queries: 0,
  answered: 0,
  servfail: 0,
  refused: 0,
  malformed: 0,
  unexpectedResponses: 0,
  overload: 0,
  loops: 0,
  inFlight: 0,
};

/**
 * The running forwarder's counters plus those of the forwarders it replaced (`retired`, summed when each was
 * let go): totals survive a restart; what is in flight is only ever the running one's.
 */
export function withRetired(now: EngineCounters, retired: EngineCounters): EngineCounters {
  return {
    queries: now.queries + retired.queries,
    answered: now.answered + retired.answered,
    servfail: now.servfail + retired.servfail,
    refused: now.refused + retired.refused,
    malformed: now.malformed + retired.malformed,
    unexpectedResponses: now.unexpectedResponses + retired.unexpectedResponses,
    overload: now.overload + retired.overload,
    loops: now.loops + retired.loops,
    inFlight: now.inFlight,
  };
}
