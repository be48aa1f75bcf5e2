/**
 * TP-Link models affected by the 2022 HomeShield / Avira DNS-request problem, and when TP-Link announced
 * the fixed firmware ("released": already out when TP-Link published its list in March 2022; a date: the
 * announced release day). Source: TP-Link's statement as reported by Techzine and Tweakers (March 2022).
 */
export interface RouterModelFix {
  readonly model: string;
  /** ISO date (YYYY-MM-DD) of the announced fixed firmware, or "released". */
  readonly fixedFirmware: string;
}

export const TP_LINK_HOMESHIELD_FIXES: readonly RouterModelFix[] = [
  { model: 'Archer AX55 v1', fixedFirmware: 'released' },
  { model: 'Archer AX73 v1', fixedFirmware: 'released' },
  { model: 'Archer AX53 v1', fixedFirmware: '2022-03-18' },
  { model: 'Archer AX90 v1', fixedFirmware: '2022-03-21' },
  { model: 'Archer AX72 v1', fixedFirmware: '2022-03-21' },
  { model: 'Archer AX4400 v1/v2', fixedFirmware: '2022-03-21' },
  { model: 'Archer AX4800 v1', fixedFirmware: '2022-03-21' },
  { model: 'Archer AXE75', fixedFirmware: 'released' },
  { model: 'Archer AX75 v1', fixedFirmware: 'released' },
  { model: 'Archer AX55 v2', fixedFirmware: 'released' },
  { model: 'Deco X68 v1', fixedFirmware: 'released' },
  { model: 'Deco X20/X25/W3600 v4', fixedFirmware: 'released' },
  { model: 'Deco X60 v3', fixedFirmware: 'released' },
  { model: 'Deco X3600', fixedFirmware: 'released' },
  { model: 'Deco W6000', fixedFirmware: 'released' },
  { model: 'Deco W6000 v2.6', fixedFirmware: 'released' },
  { model: 'Deco W7200 v1', fixedFirmware: 'released' },
  { model: 'Deco X50 v1', fixedFirmware: 'released' },
  { model: 'Deco X55 v1', fixedFirmware: 'released' },
  { model: 'Deco X60 v4.6', fixedFirmware: 'released' },
  { model: 'Deco XE5300 v1', fixedFirmware: '2022-03-20' },
  { model: 'Deco X80-5G v1', fixedFirmware: '2022-03-20' },
  { model: 'Deco X90 v1', fixedFirmware: '2022-03-21' },
  { model: 'Deco X5700', fixedFirmware: '2022-03-21' },
  { model: 'Deco Voice X20 v1', fixedFirmware: '2022-03-25' },
  { model: 'Deco X20-4G', fixedFirmware: '2022-03-25' },
  { model: 'Deco X73-DSL v1', fixedFirmware: '2022-03-25' },
  { model: 'Deco X20-DSL v1', fixedFirmware: '2022-03-25' },
];

/** What the app says about a model's fix, e.g. "Fixed firmware announced for 2022-03-21". */
export function describeFix(fix: RouterModelFix): string {
  return fix.fixedFirmware === 'released'
    ? 'Fixed firmware was already released in March 2022: update the firmware, then compare the rate before and after.'
    : `Fixed firmware was announced for ${fix.fixedFirmware}: update the firmware, then compare the rate before and after.`;
}

/**
 * What the press reported for TP-Link routers with the faulty HomeShield DNS logic (2022): 42,000 to 80,000
 * lookups of *.safethings.avira.com a day, about one a second; one owner counted over 80,000 in 24 hours.
 */
export const REPORTED_PER_DAY = { rule: 'avira-safethings', low: 42_000, high: 80_000 } as const;
