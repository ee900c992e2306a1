import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectStructured, resolveOverlaps } from './structured.ts';
import { DetectionLimitError, type EntityType, type Finding } from './types.ts';

const found = (text: string): Array<{ type: EntityType; value: string; score: number; rule: string }> =>
  detectStructured(text).map((f) => ({
    type: f.type,
    value: text.slice(f.start, f.end),
    score: f.score,
    rule: f.rule,
  }));

const values = (text: string, type: EntityType): string[] =>
  found(text)
    .filter((f) => f.type === type)
    .map((f) => f.value);

describe('PAN', () => {
  it.each([
    '4111111111111111',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '4111.1111.1111.1111',
    '5555 5555 5555 4444',
    '2223 0000 4840 0011',
    '2720 0000 0000 0005',
    '3782 822463 10005',
    '6011 1111 1111 1117',
    '3530 1113 3330 0000',
    '6200 0000 0000 0005',
    '36227206271667',
    '4000 0000 0000 0000 006',
    '352800000000000007',
    '6299000000000000002',
    '4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1',
  ])('finds %s with card context at score 1', (pan) => {
    const text = `my card number is ${pan} thanks`;
    expect(found(text).filter((f) => f.type === 'PAN')).toEqual([
      { type: 'PAN', value: pan, score: 1, rule: 'pan.digits.luhn' },
    ]);
  });

  it('scores a PAN without context lower', () => {
    expect(found('ref 4111111111111111 ok')).toEqual([
      { type: 'PAN', value: '4111111111111111', score: 0.85, rule: 'pan.digits.luhn' },
    ]);
  });

  it('raises the score for cue words after the PAN too', () => {
    expect(found('4111 1111 1111 1111 is my visa')[0]?.score).toBe(1);
  });

  it.each([
    ['a price', 'total is $1,234.56 today'],
    ['a large amount', 'we moved 4,111,111,111,111,111 units'],
    ['a quantity', 'quantity 5000 boxes'],
    ['a time', 'call at 10:30 or 14:45:00'],
    ['a date', 'on 2024-01-15 or 12/25/2024'],
    ['an order number failing Luhn', 'order 4111111111111112 was shipped'],
    ['an order number with an unknown prefix', 'order 1234567890123 shipped'],
    ['a 13-digit ms timestamp', 'at 1700000000000 ms'],
    ['a UPS tracking number', 'tracking 1Z999AA10123456784'],
    ['a phone number', 'call +1 415 555 2671 or (415) 555-2671'],
    ['a UK phone number', 'ring 020 7946 0958'],
    ['a PAN inside a 25-digit run', 'ref 4111111111111111000000000'],
    ['a PAN glued to letters', 'id A4111111111111111B'],
    ['a 20-digit run', '41111111111111111111'],
    ['a decimal', 'pi is 3.14159265358979323846'],
  ])('does not report %s as a PAN', (_, text) => {
    expect(values(text, 'PAN')).toEqual([]);
  });

  it('finds a PAN next to another number when grouping separates them', () => {
    expect(values('card 4111 1111 1111 1111 2 times', 'PAN')).toEqual(['4111 1111 1111 1111']);
    expect(values('ids 12 4111-1111-1111-1111', 'PAN')).toEqual(['4111-1111-1111-1111']);
  });

  it('masks a card-cued 16-digit run that fails Luhn as a low-score candidate', () => {
    expect(found('card number 4111 1111 1111 1112')).toEqual([
      { type: 'PAN', value: '4111 1111 1111 1112', score: 0.5, rule: 'pan.candidate.context' },
    ]);
  });

  it('keeps UTF-16 offsets right after astral characters', () => {
    const text = '😀🎉 card 4111111111111111 ✓';
    const [f] = detectStructured(text);
    expect(f?.start).toBe(text.indexOf('4111'));
    expect(text.slice(f!.start, f!.end)).toBe('4111111111111111');
  });
});

describe('CVV and expiry', () => {
  it('finds a CVV after a cue, including the amex 4-digit code', () => {
    expect(values('the cvv is 123', 'CVV')).toEqual(['123']);
    expect(values('security code: 4321', 'CVV')).toEqual(['4321']);
    expect(values('the three digits on the back are 9 8 7', 'CVV')).toEqual(['9 8 7']);
  });

  it('finds a CVV after a PAN when a weaker cue sits between them', () => {
    const text = 'card 4111 1111 1111 1111 and the code on the back is 123';
    expect(found(text).find((f) => f.type === 'CVV')).toMatchObject({
      value: '123',
      rule: expect.any(String),
    });
  });

  it('does not report 3-digit numbers without a cue', () => {
    expect(values('I have 123 apples and room 456', 'CVV')).toEqual([]);
    expect(values('card 4111 1111 1111 1111 and 123 more', 'CVV')).toEqual([]);
  });

  it('does not take a later number as the CVV when another number sits in between', () => {
    expect(values('cvv 123 expiry 1225', 'CVV')).toEqual(['123']);
  });

  it('finds expiry dates near a cue or right after a PAN', () => {
    expect(values('exp 12/25', 'CARD_EXPIRY')).toEqual(['12/25']);
    expect(values('expires 03/2027', 'CARD_EXPIRY')).toEqual(['03/2027']);
    expect(values('valid thru 7-26', 'CARD_EXPIRY')).toEqual(['7-26']);
    expect(values('expiry 1225', 'CARD_EXPIRY')).toEqual(['1225']);
    expect(values('card 4111 1111 1111 1111 12/25', 'CARD_EXPIRY')).toEqual(['12/25']);
    expect(values('we met on 12/25', 'CARD_EXPIRY')).toEqual([]);
    expect(values('expires 13/25', 'CARD_EXPIRY')).toEqual([]);
  });
});

describe('US identifiers and bank data', () => {
  it('finds SSNs: dashed alone as a candidate, bare only with a cue', () => {
    expect(found('ssn 536-90-4399')).toEqual([
      { type: 'US_SSN', value: '536-90-4399', score: 0.95, rule: 'ssn.context' },
    ]);
    expect(found('id 536-90-4399')).toEqual([
      { type: 'US_SSN', value: '536-90-4399', score: 0.6, rule: 'ssn.format' },
    ]);
    expect(values('my social security number is 536904399', 'US_SSN')).toEqual(['536904399']);
    expect(values('ref 536904399', 'US_SSN')).toEqual([]);
    expect(values('ssn 666-12-3456 or 078-05-1120', 'US_SSN')).toEqual([]);
    expect(values('part 536-90-4399-12', 'US_SSN')).toEqual([]);
  });

  it('finds ITINs', () => {
    expect(found('itin 912-70-1234')).toEqual([
      { type: 'US_ITIN', value: '912-70-1234', score: 0.95, rule: 'itin.context' },
    ]);
    expect(values('code 912-93-1234', 'US_ITIN')).toEqual([]);
  });

  it('finds IBANs with and without spaces', () => {
    expect(values('IBAN GB82 WEST 1234 5698 7654 32 thanks', 'IBAN')).toEqual([
      'GB82 WEST 1234 5698 7654 32',
    ]);
    expect(values('pay DE89370400440532013000.', 'IBAN')).toEqual(['DE89370400440532013000']);
    expect(values('pay GB82 WEST 1234 5698 7654 33', 'IBAN')).toEqual([]);
    expect(values('pay GB82WEST123456987654321', 'IBAN')).toEqual([]);
  });

  it('finds bank accounts and routing numbers after a cue only', () => {
    expect(found('account number 12345678, routing number 021000021')).toEqual([
      { type: 'BANK_ACCOUNT', value: '12345678', score: 0.9, rule: 'bank-account.context' },
      { type: 'ABA_ROUTING', value: '021000021', score: 0.95, rule: 'aba.checksum.context' },
    ]);
    expect(values('acct 0012-3456-7890', 'BANK_ACCOUNT')).toEqual(['0012-3456-7890']);
    expect(values('ref 12345678 and 021000021', 'BANK_ACCOUNT')).toEqual([]);
    expect(values('ref 021000021', 'ABA_ROUTING')).toEqual([]);
    expect(values('routing 123456789', 'ABA_ROUTING')).toEqual([]);
  });

  it('finds US passports and driver licences after a cue', () => {
    expect(values('passport number A12345678', 'US_PASSPORT')).toEqual(['A12345678']);
    expect(values('my passport is 123456789', 'US_PASSPORT')).toEqual(['123456789']);
    expect(values('ticket A12345678', 'US_PASSPORT')).toEqual([]);
    expect(values("driver's license D1234567", 'US_DRIVER_LICENSE')).toEqual(['D1234567']);
    expect(values('driving licence number is 123-456-789', 'US_DRIVER_LICENSE')).toEqual(['123-456-789']);
    expect(values('DL: S12345678901', 'US_DRIVER_LICENSE')).toEqual(['S12345678901']);
    expect(values('code D1234567', 'US_DRIVER_LICENSE')).toEqual([]);
  });
});

describe('contact data', () => {
  it.each([
    ['+1 415 555 2671', 'phone.e164'],
    ['+44 20 7946 0958', 'phone.e164'],
    ['+442079460958', 'phone.e164'],
    ['+1 (415) 555-2671', 'phone.e164'],
    ['(415) 555-2671', 'phone.nanp'],
    ['415-555-2671', 'phone.nanp'],
    ['415.555.2671', 'phone.nanp'],
    ['1-800-555-0199', 'phone.nanp'],
    ['020 7946 0958', 'phone.uk'],
    ['07911 123456', 'phone.uk'],
  ])('finds the phone number %s', (phone, rule) => {
    expect(found(`reach me on ${phone} today`)).toEqual([{ type: 'PHONE', value: phone, score: 0.95, rule }]);
    expect(found(`see ${phone} today`)[0]).toMatchObject({ type: 'PHONE', value: phone });
    expect(found(`see ${phone} today`)[0]!.score).toBeLessThan(0.95);
  });

  it('needs a cue for unformatted phone numbers', () => {
    expect(values('call me on 4155552671', 'PHONE')).toEqual(['4155552671']);
    expect(values('order 4155552671', 'PHONE')).toEqual([]);
    expect(values('ref 07700900123', 'PHONE')).toEqual([]);
  });

  it('finds emails and rejects lookalikes', () => {
    expect(values('mail john.doe+tag@example.co.uk, ok', 'EMAIL')).toEqual(['john.doe+tag@example.co.uk']);
    expect(values('<a_b@sub-domain.example.org>.', 'EMAIL')).toEqual(['a_b@sub-domain.example.org']);
    expect(values('user@localhost or a@b.c or @example.com or x@-bad.com', 'EMAIL')).toEqual([]);
  });

  it('finds IPv4 and IPv6 addresses', () => {
    expect(
      values(
        'from 192.168.1.1 and 10.0.0.255:8080 via 2001:db8::1 and fe80::1ff:fe23:4567:890a.',
        'IP_ADDRESS',
      ),
    ).toEqual(['192.168.1.1', '10.0.0.255', '2001:db8::1', 'fe80::1ff:fe23:4567:890a']);
    expect(values('256.1.1.1 v1.2.3.4 1.2.3.4.5 10:30:45 00:1A:2B:3C:4D:5E', 'IP_ADDRESS')).toEqual([]);
  });

  it('finds US street addresses and UK postcodes', () => {
    expect(values('I live at 123 Main Street, Springfield, IL 62704 now', 'POSTAL_ADDRESS')).toEqual([
      '123 Main Street, Springfield, IL 62704',
    ]);
    expect(values('ship to 1600 Pennsylvania Ave NW, Washington, DC 20500-0003', 'POSTAL_ADDRESS')).toEqual([
      '1600 Pennsylvania Ave NW, Washington, DC 20500-0003',
    ]);
    expect(values('it is 42 West 5th St. Apt 4B', 'POSTAL_ADDRESS')).toEqual(['42 West 5th St. Apt 4B']);
    expect(values('postcode SW1A 1AA and M1 1AE', 'POSTAL_ADDRESS')).toEqual(['SW1A 1AA', 'M1 1AE']);
    expect(values('I waited 20 minutes on the road', 'POSTAL_ADDRESS')).toEqual([]);
  });
});

describe('personal data after cues', () => {
  it('finds dates of birth only near a cue', () => {
    expect(values('date of birth 05/14/1980', 'DATE_OF_BIRTH')).toEqual(['05/14/1980']);
    expect(values('DOB: 1980-05-14', 'DATE_OF_BIRTH')).toEqual(['1980-05-14']);
    expect(values('I was born on January 5, 1980', 'DATE_OF_BIRTH')).toEqual(['January 5, 1980']);
    expect(values('my birthday is 5th of March 1990', 'DATE_OF_BIRTH')).toEqual(['5th of March 1990']);
    expect(values('delivered 05/14/1980', 'DATE_OF_BIRTH')).toEqual([]);
  });

  it('finds UK NINO and NHS numbers', () => {
    expect(values('NI number AB 12 34 56 C', 'UK_NINO')).toEqual(['AB 12 34 56 C']);
    expect(values('ref AB123456C', 'UK_NINO')).toEqual(['AB123456C']);
    expect(values('ref QQ123456C', 'UK_NINO')).toEqual([]);
    expect(values('nhs number 943 476 5919', 'UK_NHS')).toEqual(['943 476 5919']);
    expect(values('NHS no. 9434765919', 'UK_NHS')).toEqual(['9434765919']);
    expect(values('nhs number 943 476 5918', 'UK_NHS')).toEqual([]);
    expect(values('id 943 476 5919', 'UK_NHS')).toEqual([]);
  });

  it('finds health terms after a cue', () => {
    expect(values('I was diagnosed with type 2 diabetes last year', 'HEALTH')).toEqual(['type 2 diabetes']);
    expect(values("I'm taking insulin and metformin", 'HEALTH')).toEqual(['insulin', 'metformin']);
    expect(values('she is pregnant', 'HEALTH')).toEqual([]);
    expect(values('the cancer charity called', 'HEALTH')).toEqual([]);
  });

  it('finds names after introductions', () => {
    expect(found('Hi, my name is John Smith. How are you?')).toEqual([
      { type: 'PERSON', value: 'John Smith', score: 0.9, rule: 'person.cue' },
    ]);
    expect(values("this is Sarah O'Brien-Jones from billing", 'PERSON')).toEqual(["Sarah O'Brien-Jones"]);
    expect(values('my name is Dr. Jane Doe', 'PERSON')).toEqual(['Jane Doe']);
    expect(values("I'm Calling about my bill. This is Great.", 'PERSON')).toEqual([]);
  });
});

describe('offsets and overlaps', () => {
  const filler = fc.array(
    fc.constantFrom('hello', 'the', 'card', 'ok,', 'please', 'and', 'is', 'Thanks.', '😀', 'naïve', '—', 'x'),
    { maxLength: 8 },
  );
  const plantedPan = fc.constantFrom(
    '4111111111111111',
    '4111 1111 1111 1111',
    '5555-5555-5555-4444',
    '2223000048400011',
    '3782 822463 10005',
    '6011111111111117',
    '4000000000000000006',
  );

  it('slices exactly the planted PAN whatever surrounds it', () => {
    fc.assert(
      fc.property(filler, plantedPan, filler, (before, pan, after) => {
        const text = `${before.join(' ')} ${pan} ${after.join(' ')}`;
        const pans = detectStructured(text).filter((f) => f.type === 'PAN');
        expect(pans.map((f) => text.slice(f.start, f.end))).toEqual([pan]);
      }),
    );
  });

  it('slices exactly a planted email and IBAN', () => {
    fc.assert(
      fc.property(
        filler,
        fc.constantFrom('a.b@example.com', 'GB82 WEST 1234 5698 7654 32'),
        filler,
        (b, v, a) => {
          const text = `${b.join(' ')} ${v} ${a.join(' ')}`;
          expect(detectStructured(text).map((f) => text.slice(f.start, f.end))).toContain(v);
        },
      ),
    );
  });

  it('returns sorted, non-overlapping findings', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            '4111 1111 1111 1111',
            'cvv',
            '123',
            '415-555-2671',
            'ssn',
            '536-90-4399',
            'a@b.co',
            ' ',
            '-',
            '.',
            'exp',
            '12/25',
          ),
          { maxLength: 30 },
        ),
        (parts) => {
          const fs = detectStructured(parts.join(' '));
          for (let i = 1; i < fs.length; i++) expect(fs[i]!.start).toBeGreaterThanOrEqual(fs[i - 1]!.end);
        },
      ),
    );
  });

  it('keeps the higher score, then the longer span', () => {
    const f = (start: number, end: number, score: number, rule: string): Finding => ({
      type: 'PHONE',
      start,
      end,
      score,
      rule,
    });
    expect(
      resolveOverlaps([
        f(0, 10, 0.7, 'long'),
        f(2, 5, 0.9, 'high'),
        f(4, 12, 0.9, 'high-long'),
        f(20, 22, 0.1, 'alone'),
      ]).map((x) => x.rule),
    ).toEqual(['high-long', 'alone']);
    expect(resolveOverlaps([f(0, 5, 0.5, 'a'), f(0, 6, 0.5, 'b')]).map((x) => x.rule)).toEqual(['b']);
  });
});

describe('limits and adversarial input', () => {
  it('fails closed above maxInputChars', () => {
    expect(() => detectStructured('x'.repeat(11), { maxInputChars: 10 })).toThrow(DetectionLimitError);
    expect(detectStructured('x'.repeat(10), { maxInputChars: 10 })).toEqual([]);
  });

  const MB = 1 << 20;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

  it.each([
    ['digits', '1234567890'],
    ['1-1-1', '1-'],
    ['spaced single digits', '4 '],
    ['repeated separators', '- . -- .. '],
    ['at signs', '@'],
    ['at signs and dots', 'a@b.'],
    ['dots', '.'],
    ['colons and hex', 'a:'],
    ['plus digits', '+1 '],
    ['brackets', '(415) '],
    ['capitals and digits', 'AB12 '],
    ['cue words', 'my name is card number cvv account '],
  ])('scans 1 MB of %s and still finds a PAN planted at the end', (_, unit) => {
    const text = `${fill(unit)} card 4111 1111 1111 1111 `;
    const pans = detectStructured(text).filter((f) => f.type === 'PAN');
    expect(pans.map((f) => text.slice(f.start, f.end))).toEqual(['4111 1111 1111 1111']);
  });
});

describe('cues name the number right after them (fixes from the labelled corpus)', () => {
  it('a Luhn-valid card after an account cue is a PAN, not a bank account', () => {
    const text = 'bank account: IT85F9927821596883739635521. Use this one instead: 6229 9704 8725 5276 2.';
    expect(values(text, 'PAN')).toEqual(['6229 9704 8725 5276 2']);
    expect(values(text, 'BANK_ACCOUNT')).toEqual([]);
    expect(values('ABA 723800040, acct 9397378086. 3033 797740 8889', 'PAN')).toEqual(['3033 797740 8889']);
  });

  it('an account cue does not reach past another number', () => {
    expect(values('acct 9397378086. 48213377612', 'BANK_ACCOUNT')).toEqual(['9397378086']);
    expect(values('account number 12345678', 'BANK_ACCOUNT')).toEqual(['12345678']);
  });

  it('a Luhn-invalid candidate needs its own card cue, not a reference name or a cue before another number', () => {
    expect(values('my card number is 4111 1111 1111 1112', 'PAN')).toEqual(['4111 1111 1111 1112']);
    expect(values('offered credit. ref no. 5310503061682427.', 'PAN')).toEqual([]);
    expect(values('account number 84167153. auth reference 6011757639448816.', 'PAN')).toEqual([]);
  });
});

describe('a sentence end separates numbers', () => {
  it('a phone number does not run on into the card after ". "', () => {
    const text = 'call me back on +1 522 834 5533. 2547 3742 7026 1691, exp 06/25';
    expect(values(text, 'PHONE')).toEqual(['+1 522 834 5533']);
    expect(values(text, 'PAN')).toEqual(['2547 3742 7026 1691']);
  });
});
