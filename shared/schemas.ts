/** Runtime validation of everything the UI sends, applied by main (IPC) and by the headless service. */
import { z } from 'zod';
import type { RequestArgs, RequestChannel } from './api';
import { DEVICE_NAME_MAX } from './devices';

const epochMs = z.number().finite().nonnegative();

export const queryFilterSchema = z
  .object({
    client: z.string().max(64).optional(),
    name: z.string().max(253).optional(),
    from: epochMs.optional(),
    to: epochMs.optional(),
    captureId: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]*$/)
      .optional(),
  })
  .strict();

export const queryListSchema = queryFilterSchema
  .extend({
    offset: z.number().int().nonnegative().max(1e9).optional(),
    limit: z.number().int().positive().max(1000).optional(),
  })
  .strict();

export const snapshotRequestSchema = z
  .object({
    rangeMinutes: z
      .number()
      .int()
      .nonnegative()
      .max(60 * 24 * 366),
  })
  .strict();

const ipv4 = z.ipv4();
const ipv6 = z.ipv6();

/** A client address as the engine reports it (IPv4 dotted quad or IPv6 text). */
export const ipAddressSchema = z
  .string()
  .max(64)
  .refine((s) => ipv4.safeParse(s).success || ipv6.safeParse(s).success, 'not an IP address');

/** A device name as typed: trimmed; the messages are meant for the user. */
export const deviceNameSchema = z
  .string()
  .max(1024)
  .transform((s) => s.trim())
  .refine((s) => !/\p{Cc}/u.test(s), 'A device name cannot contain control characters (tabs, line breaks).')
  .refine(
    (s) => [...s].length <= DEVICE_NAME_MAX,
    `A device name can have at most ${DEVICE_NAME_MAX} characters.`,
  );

export const renameDeviceSchema = z.object({ address: ipAddressSchema, name: deviceNameSchema }).strict();

export const setRoutersSchema = z.object({ addresses: z.array(ipAddressSchema).max(16) }).strict();

const noArgs = z.undefined();

export const requestSchemas = {
  'capture:start': noArgs,
  'capture:stop': noArgs,
  'capture:snapshot': snapshotRequestSchema,
  'query:list': queryListSchema,
  'status:get': noArgs,
  'export:csv': queryFilterSchema,
  'device:rename': renameDeviceSchema,
  'device:set-routers': setRoutersSchema,
} satisfies { [K in RequestChannel]: z.ZodType<RequestArgs<K>> };

/** Parses `args` for `channel`; throws a readable Error when they do not fit. */
export function parseRequestArgs<K extends RequestChannel>(channel: K, args: unknown): RequestArgs<K> {
  const schema = requestSchemas[channel] as z.ZodType<RequestArgs<K>>;
  const result = schema.safeParse(args);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new Error(`invalid arguments for ${channel}${where}: ${issue?.message ?? 'unknown problem'}`);
  }
  return result.data;
}

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(requestSchemas, value);
}
