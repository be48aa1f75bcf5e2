/**
 * Runtime validation of everything the UI sends, applied by main (IPC) and by the headless service; contract.ts
 * says which request each schema checks.
 */
import { z } from 'zod';
import { DEVICE_NAME_MAX } from './devices';
import {
  BUILT_IN_READ_ONLY,
  CORRELATION_WINDOW_S,
  isBuiltInRule,
  MARKER_LABEL_MAX,
  NO_MARKER_LABEL,
  patternsProblem,
  ROUTER_MODEL_MAX,
  RULE_EXPLANATION_MAX,
  RULE_INTEGRATION_MAX,
  RULE_VENDOR_MAX,
} from './watch/messages';

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
    watched: z.boolean().optional(),
    rule: z.string().max(64).optional(),
  })
  .strict();

export const queryListSchema = queryFilterSchema
  .extend({
    offset: z.number().int().nonnegative().max(1e9).optional(),
    limit: z.number().int().positive().max(1000).optional(),
  })
  .strict();

export const clientListSchema = z
  .object({
    offset: z.number().int().nonnegative().max(1e9).optional(),
    limit: z.number().int().positive().max(1000).optional(),
  })
  .strict();

/** `/api/summary?window_s=`: the correlation look-back window in seconds. */
export const correlationWindowSchema = z.coerce
  .number({ error: 'window_s must be a number of seconds' })
  .min(0.1, 'window_s must be at least 0.1')
  .max(60, 'window_s must be at most 60');

export const exportRequestSchema = queryFilterSchema
  .extend({
    exportId: z
      .string()
      .max(40)
      .regex(/^[A-Za-z0-9-]+$/)
      .optional(),
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

/** Free text typed by the user: trimmed, one line, at most `max` characters; `what` names it in messages. */
function userText(what: string, max: number) {
  return z
    .string()
    .max(max * 4)
    .transform((s) => s.trim())
    .refine((s) => !/\p{Cc}/u.test(s), `${what} cannot contain control characters (tabs, line breaks).`)
    .refine((s) => [...s].length <= max, `${what} can have at most ${max} characters.`);
}

/** A rule id: built-in ids and the engine's "user-…" ids are lowercase words joined by dashes. */
const ruleIdSchema = z
  .string()
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a rule id has lowercase letters, digits and dashes only');

export const updateRuleSchema = z
  .object({
    id: ruleIdSchema,
    enabled: z.boolean().optional(),
    block: z.enum(['off', 'nxdomain', 'null']).optional(),
  })
  .strict()
  .refine(
    (r) => r.enabled !== undefined || r.block !== undefined,
    'nothing to change: give enabled or block',
  );

/** One of the user's rules; the pattern messages are the engine's (see patternsProblem). */
export const ruleInputSchema = z
  .object({
    id: ruleIdSchema.refine((id) => !isBuiltInRule(id), BUILT_IN_READ_ONLY).optional(),
    vendor: userText('A vendor', RULE_VENDOR_MAX),
    integration: userText('A service name', RULE_INTEGRATION_MAX),
    patterns: z
      .array(z.string().max(300))
      .max(200)
      .superRefine((patterns, ctx) => {
        const problem = patternsProblem(patterns);
        if (problem !== '') ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((patterns) => patterns.map((p) => p.trim()).filter((p) => p !== '')),
    category: z.enum(['security-cloud', 'vendor-cloud', 'connectivity']),
    explanation: userText('An explanation', RULE_EXPLANATION_MAX),
  })
  .strict();

export const removeRuleSchema = z.object({ id: ruleIdSchema }).strict();

export const addMarkerSchema = z
  .object({
    label: userText('A marker label', MARKER_LABEL_MAX).refine((s) => s !== '', NO_MARKER_LABEL),
    ts: epochMs.optional(),
  })
  .strict();

export const removeMarkerSchema = z
  .object({
    id: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'not a marker id'),
  })
  .strict();

export const watchMinutesSchema = snapshotRequestSchema;

export const routerModelSchema = z.object({ model: userText('A router model', ROUTER_MODEL_MAX) }).strict();

export const correlationWindowRequestSchema = z
  .object({
    seconds: z
      .number({ error: 'The window must be a number of seconds' })
      .min(CORRELATION_WINDOW_S.min, `The window must be at least ${CORRELATION_WINDOW_S.min} s`)
      .max(CORRELATION_WINDOW_S.max, `The window must be at most ${CORRELATION_WINDOW_S.max} s`),
  })
  .strict();
