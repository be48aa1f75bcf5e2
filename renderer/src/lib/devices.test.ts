import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '@shared/events';
import { deviceLabels, infoFor, NEW_DEVICE_MS, NewDevices, routersFirst, vendorText } from './devices';
import { deviceAt } from './test-events';

const map = (...devices: DeviceInfo[]) => new Map(devices.map((d) => [d.address, d]));

describe('device labels', () => {
  it('use the name, else the hostname, else the address', () => {
    const devices = map(
      deviceAt('192.168.1.1', { hostname: 'archer.lan', name: 'Router' }),
      deviceAt('192.168.1.7', { hostname: 'office-pc.lan' }),
    );
    const labels = deviceLabels(['192.168.1.1', '192.168.1.7', '192.168.1.9'], devices);
    expect([...labels.values()]).toEqual(['Router', 'office-pc.lan', '192.168.1.9']);
  });

  it('add the address where two devices share a name', () => {
    const devices = map(
      deviceAt('192.168.1.7', { hostname: 'office-pc.lan' }),
      deviceAt('fd00::7', { hostname: 'office-pc.lan' }),
      deviceAt('192.168.1.8', { name: 'TV' }),
    );
    expect(deviceLabels(['192.168.1.7', 'fd00::7', '192.168.1.8'], devices)).toEqual(
      new Map([
        ['192.168.1.7', 'office-pc.lan (192.168.1.7)'],
        ['fd00::7', 'office-pc.lan (fd00::7)'],
        ['192.168.1.8', 'TV'],
      ]),
    );
  });

  it('know nothing but the address of a device not described yet', () => {
    expect(infoFor(new Map(), '10.0.0.5')).toEqual(deviceAt('10.0.0.5'));
  });
});

describe('vendorText', () => {
  it('names the vendor, or says the MAC is private', () => {
    expect(vendorText(deviceAt('a', { vendor: 'Intel Corporate' }))).toBe('Intel Corporate');
    expect(vendorText(deviceAt('a', { privateMac: true, mac: '02:5e:e1:3a:77:10' }))).toBe('Private MAC');
    expect(vendorText(deviceAt('a'))).toBe('');
  });
});

describe('routersFirst', () => {
  it('moves the router to the top and keeps the rest in order', () => {
    const list = ['10.0.0.7', '10.0.0.9', '10.0.0.1', '10.0.0.2'].map((address) => ({ address }));
    const devices = map(deviceAt('10.0.0.1', { isRouter: true }), deviceAt('10.0.0.7'));
    expect(routersFirst(list, devices).map((d) => d.address)).toEqual([
      '10.0.0.1',
      '10.0.0.7',
      '10.0.0.9',
      '10.0.0.2',
    ]);
    expect(routersFirst(list, new Map())).toEqual(list);
  });
});

describe('NewDevices', () => {
  it('keeps each highlight for NEW_DEVICE_MS', () => {
    const fresh = new NewDevices();
    fresh.add('10.0.0.7', 1000);
    fresh.add('10.0.0.8', 3000);
    expect(fresh.expire(1000 + NEW_DEVICE_MS - 1)).toBe(false);
    expect([...fresh.current()]).toEqual(['10.0.0.7', '10.0.0.8']);
    expect(fresh.expire(1000 + NEW_DEVICE_MS)).toBe(true);
    expect([...fresh.current()]).toEqual(['10.0.0.8']);
    expect(fresh.expire(3000 + NEW_DEVICE_MS)).toBe(true);
    expect(fresh.size).toBe(0);
  });
});
