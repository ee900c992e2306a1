import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abaValid,
  ibanValid,
  itinValid,
  luhnValid,
  nhsValid,
  ninoValid,
  panLengthMask,
  panNetwork,
  panNetworkOf,
  ssnValid,
} from './validators.ts';

/** Appends the Luhn check digit to `prefix`. */
const withLuhn = (prefix: string): string => {
  for (let d = 0; d < 10; d++) if (luhnValid(prefix + d)) return prefix + d;
  throw new Error('unreachable');
};

describe('luhnValid', () => {
  it('accepts published test PANs and rejects a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('4111 1111')).toBe(false);
  });

  it('catches every single-digit change', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{12,18}$/),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (p, pos, delta) => {
          const pan = withLuhn(p);
          const i = pos % pan.length;
          const changed = pan.slice(0, i) + ((Number(pan[i]) + delta) % 10) + pan.slice(i + 1);
          expect(luhnValid(pan)).toBe(true);
          expect(luhnValid(changed)).toBe(false);
        },
      ),
    );
  });
});

describe('panNetwork', () => {
  it.each([
    ['4111111111111111', 'visa'],
    ['4222222222222', 'visa'],
    ['4000000000000000006', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223000048400011', 'mastercard'],
    ['2221000000000009', 'mastercard'],
    ['2720000000000005', 'mastercard'],
    ['378282246310005', 'amex'],
    ['371449635398431', 'amex'],
    ['6011111111111117', 'discover'],
    ['601100000000000004', 'discover'],
    ['6221260000000000', 'discover'],
    ['3530111333300000', 'jcb'],
    ['352800000000000007', 'jcb'],
    ['36227206271667', 'diners'],
    ['30569309025904', 'diners'],
    ['6200000000000005', 'unionpay'],
    ['6299000000000000002', 'unionpay'],
    ['2200000000000004', 'mir'],
    ['6759649826438453', 'maestro'],
    ['5019717010103742', 'maestro'],
  ])('%s is %s', (pan, network) => {
    expect(luhnValid(pan)).toBe(true);
    expect(panNetwork(pan)).toBe(network);
  });

  it('rejects unknown prefixes and lengths a network does not issue', () => {
    expect(panNetwork('1234567890123')).toBeNull(); // order numbers, UATP left out
    expect(panNetwork('9111111111111111')).toBeNull();
    expect(panNetwork('7111111111111111')).toBeNull();
    expect(panNetwork('2220999999999999')).toBeNull(); // just below the 2-series range
    expect(panNetwork('2721000000000000')).toBeNull(); // just above it
    expect(panNetwork('41111111111111')).toBeNull(); // 14-digit Visa
    expect(panNetwork('37828224631000')).toBeNull(); // 14-digit Amex
    expect(panNetwork('55555555555544440')).toBeNull(); // 17-digit Mastercard
    expect(panNetwork('411111111111')).toBeNull(); // too short
    expect(panNetwork('41111111111111111111')).toBeNull(); // too long
    expect(panNetwork('4111-1111-1111-1111')).toBeNull();
  });

  it('agrees with panNetworkOf and panLengthMask', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{13,19}$/), (d) => {
        const first6 = Number(d.slice(0, 6));
        expect(panNetworkOf(first6, d.length)).toBe(panNetwork(d));
        expect(((panLengthMask(first6) >> d.length) & 1) === 1).toBe(panNetwork(d) !== null);
      }),
    );
  });
});

describe('ibanValid', () => {
  it('accepts registry examples with or without spaces, in either case', () => {
    for (const iban of [
      'GB82WEST12345698765432',
      'GB82 WEST 1234 5698 7654 32',
      'gb82 west 1234 5698 7654 32',
      'DE89370400440532013000',
      'FR1420041010050500013M02606',
      'NO9386011117947',
      'BE68539007547034',
    ]) {
      expect(ibanValid(iban)).toBe(true);
    }
  });

  it('rejects a bad check, a wrong length or an unknown country', () => {
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('GB82WEST1234569876543')).toBe(false);
    expect(ibanValid('XX82WEST12345698765432')).toBe(false);
    expect(ibanValid('GB82-WEST-1234')).toBe(false);
  });
});

describe('abaValid', () => {
  it('checks the 3-7-1 checksum and the prefix', () => {
    expect(abaValid('021000021')).toBe(true);
    expect(abaValid('011000015')).toBe(true);
    expect(abaValid('123456789')).toBe(false);
    expect(abaValid('02100002')).toBe(false);
    // Checksum passes but 13–20 is not an assigned prefix.
    expect(abaValid('130000006')).toBe(false);
  });
});

describe('ssnValid and itinValid', () => {
  it('applies SSA structure rules', () => {
    expect(ssnValid('536904399')).toBe(true);
    expect(ssnValid('000123456')).toBe(false);
    expect(ssnValid('666123456')).toBe(false);
    expect(ssnValid('900123456')).toBe(false);
    expect(ssnValid('123001234')).toBe(false);
    expect(ssnValid('123450000')).toBe(false);
    expect(ssnValid('078051120')).toBe(false);
    expect(ssnValid('219099999')).toBe(false);
    expect(ssnValid('12345678')).toBe(false);
  });

  it('accepts ITIN groups 50–65, 70–88, 90–92, 94–99 only', () => {
    expect(itinValid('912701234')).toBe(true);
    expect(itinValid('950501234')).toBe(true);
    expect(itinValid('999991234')).toBe(true);
    expect(itinValid('912931234')).toBe(false);
    expect(itinValid('912661234')).toBe(false);
    expect(itinValid('812701234')).toBe(false);
  });
});

describe('nhsValid', () => {
  it('checks mod 11', () => {
    expect(nhsValid('9434765919')).toBe(true);
    expect(nhsValid('4010232137')).toBe(true);
    expect(nhsValid('9434765918')).toBe(false);
    expect(nhsValid('943476591')).toBe(false);
  });
});

describe('ninoValid', () => {
  it('applies the prefix and suffix rules', () => {
    expect(ninoValid('AB123456C')).toBe(true);
    expect(ninoValid('AB 12 34 56 C')).toBe(true);
    expect(ninoValid('ab123456c')).toBe(true);
    for (const bad of [
      'DA123456C',
      'AF123456C',
      'AO123456C',
      'QQ123456C',
      'BG123456C',
      'GB123456C',
      'NK123456C',
      'KN123456C',
      'TN123456C',
      'NT123456C',
      'ZZ123456C',
      'AB123456E',
      'AB12345C',
    ]) {
      expect(ninoValid(bad), bad).toBe(false);
    }
  });
});
