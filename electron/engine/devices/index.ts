export { DeviceRegistry, MAX_DEVICES, REFRESH_MS } from './registry';
export type { DeviceRegistryOptions, ImportedDevice } from './registry';
export type { Neighbour } from './neighbours';
export { DEVICES_FILE, MAX_NAME_LENGTH, validateName } from './names';
export { canonicalAddress, reverseName } from './address';
export { normalizeMac } from './mac';
