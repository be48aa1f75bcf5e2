/**
 * The knowledge base as the app uses it: every file in shared/kb/rules/, imported at build time (the
 * renderer reads no files at run time). `npm run kb:lint` checks that this list matches the folder.
 */
import type { BypassFile, KbFile, KbFix, KbRule } from './schema';
import bypassJson from './bypass.json';
import asus from './rules/asus.json';
import avm from './rules/avm.json';
import bitdefender from './rules/bitdefender.json';
import connectivityChecks from './rules/connectivity-checks.json';
import dLink from './rules/d-link.json';
import ddnsProviders from './rules/ddns-providers.json';
import eero from './rules/eero.json';
import fSecure from './rules/f-secure.json';
import firewalla from './rules/firewalla.json';
import glInet from './rules/gl-inet.json';
import googleWifi from './rules/google-wifi.json';
import huawei from './rules/huawei.json';
import ispBoxes from './rules/isp-boxes.json';
import keenetic from './rules/keenetic.json';
import linksys from './rules/linksys.json';
import mikrotik from './rules/mikrotik.json';
import netgear from './rules/netgear.json';
import openMesh from './rules/open-mesh.json';
import openwrt from './rules/openwrt.json';
import peplink from './rules/peplink.json';
import plume from './rules/plume.json';
import smartTvs from './rules/smart-tvs.json';
import starlink from './rules/starlink.json';
import synology from './rules/synology.json';
import time from './rules/time.json';
import tpLink from './rules/tp-link.json';
import trendMicro from './rules/trend-micro.json';
import ubiquiti from './rules/ubiquiti.json';
import xiaomi from './rules/xiaomi.json';
import zte from './rules/zte.json';
import zyxel from './rules/zyxel.json';

/** File name (in shared/kb/rules/) → contents. The JSON is checked by the lint and a unit test, not here. */
export const KB_FILES: Readonly<Record<string, KbFile>> = {
  'asus.json': asus as KbFile,
  'avm.json': avm as KbFile,
  'bitdefender.json': bitdefender as KbFile,
  'connectivity-checks.json': connectivityChecks as KbFile,
  'd-link.json': dLink as KbFile,
  'ddns-providers.json': ddnsProviders as KbFile,
  'eero.json': eero as KbFile,
  'f-secure.json': fSecure as KbFile,
  'firewalla.json': firewalla as KbFile,
  'gl-inet.json': glInet as KbFile,
  'google-wifi.json': googleWifi as KbFile,
  'huawei.json': huawei as KbFile,
  'isp-boxes.json': ispBoxes as KbFile,
  'keenetic.json': keenetic as KbFile,
  'linksys.json': linksys as KbFile,
  'mikrotik.json': mikrotik as KbFile,
  'netgear.json': netgear as KbFile,
  'open-mesh.json': openMesh as KbFile,
  'openwrt.json': openwrt as KbFile,
  'peplink.json': peplink as KbFile,
  'plume.json': plume as KbFile,
  'smart-tvs.json': smartTvs as KbFile,
  'starlink.json': starlink as KbFile,
  'synology.json': synology as KbFile,
  'time.json': time as KbFile,
  'tp-link.json': tpLink as KbFile,
  'trend-micro.json': trendMicro as KbFile,
  'ubiquiti.json': ubiquiti as KbFile,
  'xiaomi.json': xiaomi as KbFile,
  'zte.json': zte as KbFile,
  'zyxel.json': zyxel as KbFile,
};

export const KB_BYPASS: BypassFile = bypassJson as BypassFile;

export const KB_RULES: readonly KbRule[] = Object.values(KB_FILES).flatMap((f) => f.rules);

export const KB_FIXES: readonly KbFix[] = Object.values(KB_FILES).flatMap((f) => f.fixes ?? []);

const fixById = new Map(KB_FIXES.map((f) => [f.id, f]));

/** The fixes a rule lists, in its order; unknown ids (caught by the lint) are skipped. */
export function fixesFor(rule: { readonly fixes?: readonly string[] }): readonly KbFix[] {
  return (rule.fixes ?? []).flatMap((id) => fixById.get(id) ?? []);
}
