import { describe, expect, it } from 'vitest';
import {
  ENGINE_EVENT_CHANNELS,
  ENGINE_REQUEST_CHANNELS,
  EVENT_CHANNELS,
  EVENTS,
  parseRequestArgs,
  REQUEST_CHANNELS,
  REQUESTS,
  takesArgs,
  TRANSPORT_REQUEST_CHANNELS,
} from './contract';
import { PRELOAD_METHODS } from './preload-api';

describe('the contract table', () => {
  it('names channels domain:verb and gives each request and event its own preload method', () => {
    for (const channel of [...REQUEST_CHANNELS, ...EVENT_CHANNELS])
      expect(channel).toMatch(/^[a-z]+(-[a-z]+)*:[a-z]+(-[a-z]+)*$/);
    expect(new Set(PRELOAD_METHODS).size).toBe(PRELOAD_METHODS.length);
    for (const method of PRELOAD_METHODS) expect(method).toMatch(/^[a-z][A-Za-z]*$/);
    for (const channel of EVENT_CHANNELS) expect(EVENTS[channel].listener).toMatch(/^on[A-Z]/);
  });

  it('splits requests between the engine and the transports, and events between the engine and the desktop', () => {
    expect([...ENGINE_REQUEST_CHANNELS, ...TRANSPORT_REQUEST_CHANNELS].sort()).toEqual(
      [...REQUEST_CHANNELS].sort(),
    );
    expect(TRANSPORT_REQUEST_CHANNELS).toEqual([
      'export:csv',
      'export:pcap',
      'export:dnstap',
      'export:png',
      'export:bundle',
      'import:file',
    ]);
    expect(EVENT_CHANNELS.filter((c) => !ENGINE_EVENT_CHANNELS.includes(c as never))).toEqual([
      'ui:command',
      'export:menu',
    ]);
  });

  it('refuses an argument on channels that take none, and objects with unknown fields on the others', () => {
    for (const channel of REQUEST_CHANNELS) {
      if (takesArgs(channel)) {
        expect(() => parseRequestArgs(channel, 'text'), channel).toThrow(/^invalid arguments for /);
        continue;
      }
      expect(parseRequestArgs(channel, undefined)).toBeUndefined();
      expect(() => parseRequestArgs(channel, {}), channel).toThrow(`invalid arguments for ${channel}`);
    }
    expect(() => parseRequestArgs('query:list', { limit: 10, extra: true })).toThrow(
      /invalid arguments for query:list/,
    );
  });

  it('holds only plain data besides the schemas, so it can cross a MessagePort', () => {
    for (const channel of REQUEST_CHANNELS) {
      const { args: _schema, ...rest } = REQUESTS[channel];
      expect(structuredClone(rest)).toEqual(rest);
    }
    expect(structuredClone(EVENTS)).toEqual(EVENTS);
  });
});
