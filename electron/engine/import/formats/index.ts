import type { ImportFormat } from '@shared/events';
import { ImportError, type FormatSpec } from '../types';
import { adguard } from './adguard';
import { dnsmasq } from './dnsmasq';
import { dnstap } from './dnstap';
import { pcap, pcapng } from './pcap';
import { pihole } from './pihole';
import { zeek } from './zeek';

/**
 * Every import format, in the order `--format auto` tries them. Adding one: a FormatSpec in its own file
 * under formats/, then its line here.
 */
export const FORMATS: readonly FormatSpec[] = [adguard, pihole, dnsmasq, pcap, pcapng, zeek, dnstap];

export const FORMAT_IDS = FORMATS.map((f) => f.id);

export function formatById(id: ImportFormat): FormatSpec {
  const spec = FORMATS.find((f) => f.id === id);
  if (!spec) throw new Error(`unknown format ${id}`);
  return spec;
}

/** The format whose sniff() recognises the head of the file; throws a one-line ImportError when none does. */
export function detectFormat(head: Buffer, name: string): FormatSpec {
  const spec = FORMATS.find((f) => f.read !== null && f.sniff(head, name));
  if (spec) return spec;
  const known = FORMATS.filter((f) => f.read !== null)
    .map((f) => f.label)
    .join(', ');
  throw new ImportError(
    name,
    '',
    `not a format DNS Witness reads (${known}); name it with --format if it is one of them`,
  );
}
