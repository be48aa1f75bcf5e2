import { describe, expect, it } from 'vitest';
import { loadOuiTable, OuiDatabase, vendorOf, type OuiTable } from './oui';

describe('the IEEE table from oui-data', () => {
  let table: OuiTable;

  it('loads', async () => {
    table = await loadOuiTable();
    expect(Object.keys(table).length).toBeGreaterThan(40_000);
  });

  it.each([
    ['00:1b:21:3c:4d:5e', 'Intel Corporate'],
    ['f4:f2:6d:12:34:56', 'TP-LINK TECHNOLOGIES CO.,LTD.'],
    ['3c:22:fb:0a:0b:0c', 'Apple, Inc.'],
    ['00:15:5d:aa:bb:cc', 'Microsoft Corporation'],
    // MA-S block 00:1B:C5:00:0 inside an MA-L block registered to the IEEE RA itself.
    ['00:1b:c5:00:01:23', 'Converging Systems Inc.'],
    // MA-M block 10:06:48:0.
    ['10:06:48:01:23:45', 'FLEXTRONICS TECHNOLOGIES (INDIA) PVT LTD'],
  ])('%s is %s', (mac, vendor) => {
    expect(vendorOf(table, mac)).toBe(vendor);
  });

  it('names no vendor for private, locally administered or unregistered prefixes', () => {
    expect(vendorOf(table, 'ac:de:48:00:11:22')).toBe(''); // registered as "Private"
    expect(vendorOf(table, '02:42:ac:11:00:02')).toBe(''); // U/L bit set
    expect(vendorOf(table, '00:1b:c5:ff:ff:ff')).toBe(''); // IEEE RA block, no sub-assignment
    expect(vendorOf(table, '')).toBe('');
  });
});

describe('OuiDatabase', () => {
  it('loads once for any number of callers, and answers "" until loaded', async () => {
    let loads = 0;
    const db = new OuiDatabase(async () => {
      loads++;
      return { '001B21': 'Intel Corporate\nLot 8' };
    });
    expect(db.lookup('00:1b:21:00:00:01')).toBe('');
    await Promise.all([db.ready(), db.ready(), db.ready()]);
    await db.ready();
    expect(loads).toBe(1);
    expect(db.lookup('00:1b:21:00:00:01')).toBe('Intel Corporate');
  });

  it('reports a failed load once and keeps vendors empty', async () => {
    const errors: string[] = [];
    const db = new OuiDatabase(
      () => Promise.reject(new Error('ENOENT')),
      (m) => errors.push(m),
    );
    await db.ready();
    await db.ready();
    expect(errors).toEqual(['vendor database (oui-data) could not be loaded: ENOENT']);
    expect(db.lookup('00:1b:21:00:00:01')).toBe('');
  });
});
