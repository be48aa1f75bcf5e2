/** How a watched service is named in sentences. */

/** "Avira SafeThings" from vendor "Avira" and integration "SafeThings (TP-Link HomeShield / HomeCare Pro)". */
export function serviceName(r: { readonly vendor: string; readonly integration: string }): string {
  const head = (text: string) => text.split(/\s+\(|\s+-\s+/)[0]!.trim();
  const vendor = head(r.vendor);
  const integration = head(r.integration);
  if (vendor === '') return integration || r.integration;
  if (integration === '') return vendor;
  return integration.toLowerCase().startsWith(vendor.toLowerCase())
    ? integration
    : `${vendor} ${integration}`;
}
