import { describe, expect, it } from 'vitest';
import { fetchPastRefusals } from './http-protocol';

describe('fetchPastRefusals', () => {
  const refusal = (status: number, retryAfter?: string) =>
    new Response('{"error":"busy; try again in a moment"}', {
      status,
      headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
    });
  const run = async (answers: Response[], waitMs?: number) => {
    const pauses: number[] = [];
    let sent = 0;
    const response = await fetchPastRefusals(
      () => Promise.resolve(answers[sent++]!),
      (ms) => {
        pauses.push(ms);
        return Promise.resolve();
      },
      waitMs,
    );
    return { response, pauses, sent };
  };

  it('sends again after each refusal, as long as Retry-After says, until an answer comes', async () => {
    const r = await run([
      refusal(503, '1'),
      refusal(429, '2'),
      new Response('{"result":1}', { status: 200 }),
    ]);
    expect(r.response.status).toBe(200);
    expect(r.sent).toBe(3);
    expect(r.pauses).toEqual([1000, 2000]);
  });

  it('returns other answers at once, refusals without Retry-After included', async () => {
    for (const answer of [refusal(503), refusal(400, '1'), refusal(401, '1')]) {
      const r = await run([answer, new Response('{}', { status: 200 })]);
      expect(r.response).toBe(answer);
      expect(r.sent).toBe(1);
    }
  });

  it('gives up with the last refusal once the waits would pass the budget; one wait is at most 5 s', async () => {
    const r = await run(
      Array.from({ length: 10 }, () => refusal(503, '60')),
      12_000,
    );
    expect(r.response.status).toBe(503);
    expect(r.pauses).toEqual([5000, 5000]);
    expect(r.sent).toBe(3);
  });
});
