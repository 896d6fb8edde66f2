import { describe, expect, it } from 'vitest';
import { ibanChecksumValid, luhnValid, runDetectors, type Finding } from '../../../src/core/detect/index.js';
import { ssnValid } from '../../../src/core/detect/pii/ssn.js';
import { ipv6Valid } from '../../../src/core/detect/pii/ip.js';

/** The values of the PII findings of one type in `text`. */
function found(text: string, type?: string): string[] {
  const r = runDetectors(text, { maxChars: 1 << 20, secrets: false, injection: false });
  return r.pii.filter((f: Finding) => type === undefined || f.type === type).map((f) => text.slice(f.start, f.end));
}

describe('email', () => {
  it('finds addresses in prose, code, headers and angle brackets', () => {
    expect(found('mail alice.nguyen@example.com today', 'EMAIL')).toEqual(['alice.nguyen@example.com']);
    expect(found('const A = "ops+alerts@mail.example.co.uk";', 'EMAIL')).toEqual(['ops+alerts@mail.example.co.uk']);
    expect(found('From: Bob <bob_smith@example.org>', 'EMAIL')).toEqual(['bob_smith@example.org']);
    expect(found('mailto:carol@example.net?subject=x', 'EMAIL')).toEqual(['carol@example.net']);
    expect(found('SHOUT@EXAMPLE.COM', 'EMAIL')).toEqual(['SHOUT@EXAMPLE.COM']);
  });

  it('leaves asset names, package specs, git remotes, URL userinfo and hosts without a TLD alone', () => {
    for (const t of [
      'icon@2x.png and logo@3x.webp',
      'npm i @acme/ui@2.3.1',
      'git clone git@github.com:acme/warden.git',
      'postgres://app:pw@db.example.com:5432/app',
      'https://deploy@ci.example.com/repo',
      'ssh user@localhost',
      'a@b.c',
      '@decorator and @media screen',
    ]) {
      expect(found(t, 'EMAIL'), t).toEqual([]);
    }
  });
});

describe('phone', () => {
  it('finds international numbers with + or 00 and a country code', () => {
    expect(found('call +44 20 7946 0958 now', 'PHONE')).toEqual(['+44 20 7946 0958']);
    expect(found('Tel.: +49 30 901820', 'PHONE')).toEqual(['+49 30 901820']);
    expect(found('+81-3-1234-5678', 'PHONE')).toEqual(['+81-3-1234-5678']);
    expect(found('office (+44) 20 7946 0958', 'PHONE')).toEqual(['(+44) 20 7946 0958']);
    expect(found('+44 (0)20 7946 0958', 'PHONE')).toEqual(['+44 (0)20 7946 0958']);
    expect(found('dial 0044 20 7946 0958', 'PHONE')).toEqual(['0044 20 7946 0958']);
  });

  it('finds NANP numbers with separators and valid area and exchange codes', () => {
    expect(found('(415) 555-0132', 'PHONE')).toEqual(['(415) 555-0132']);
    expect(found('call 415-555-0132.', 'PHONE')).toEqual(['415-555-0132']);
    expect(found('415.555.0132', 'PHONE')).toEqual(['415.555.0132']);
    expect(found('1-212-555-0188', 'PHONE')).toEqual(['1-212-555-0188']);
    expect(found('+1 (415) 555-0132', 'PHONE')).toEqual(['+1 (415) 555-0132']);
  });

  it('does not mistake dates, versions, IPs, ids, sums or invalid codes for phones', () => {
    for (const t of [
      '2024-01-15',
      '15.01.2024',
      'build 10.0.19045.3803',
      'host 192.168.100.200',
      'order 1234567890',
      'ISBN 978-3-16-148410-0',
      'grew +12.5% and +200 users',
      'UTC+05:30',
      '(123) 456-7890',
      '411-555-0123',
      '415-555.0132',
      'semver 1.0.0+20130313144700',
      'card 3566 0020 2036 0505',
      'iban DE89 3704 0044 0532 0130 00',
    ]) {
      expect(found(t, 'PHONE'), t).toEqual([]);
    }
  });
});

describe('card', () => {
  it('finds Luhn-valid numbers of known issuers, contiguous or grouped', () => {
    expect(found('card 4111 1111 1111 1111 exp 09/27', 'CARD')).toEqual(['4111 1111 1111 1111']);
    expect(found('5555-5555-5555-4444', 'CARD')).toEqual(['5555-5555-5555-4444']);
    expect(found('amex 3782 822463 10005', 'CARD')).toEqual(['3782 822463 10005']);
    expect(found('{"pan": 4242424242424242}', 'CARD')).toEqual(['4242424242424242']);
  });

  it('stops a grouped card before a following number', () => {
    expect(found('4111 1111 1111 1111 123 items', 'CARD')).toEqual(['4111 1111 1111 1111']);
  });

  it('rejects failing Luhn, unknown issuers, odd grouping and mixed separators', () => {
    for (const t of [
      '4111 1111 1111 1112',
      '9111 1111 1111 1115',
      'IMEI 356938035643809',
      'ts 1700000000000',
      '0000 0000 0000 0000',
      '4111 11 1111 111111',
      '4111-1111 1111-1111',
      '1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6',
    ]) {
      expect(found(t, 'CARD'), t).toEqual([]);
    }
  });

  it('implements Luhn', () => {
    expect(luhnValid('4111 1111 1111 1111')).toBe(true);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('4111x1111')).toBe(false);
  });
});

describe('ssn', () => {
  it('finds dashed or spaced numbers, and bare nine digits after an SSN label', () => {
    expect(found('SSN: 521-37-4410', 'SSN')).toEqual(['521-37-4410']);
    expect(found('number 521 37 4410 on file', 'SSN')).toEqual(['521 37 4410']);
    expect(found('SSN: 521374410', 'SSN')).toEqual(['521374410']);
    expect(found('id 521374410', 'SSN')).toEqual([]);
  });

  it('excludes areas 000, 666 and 900–999, group 00, serial 0000 and voided numbers', () => {
    expect(ssnValid('000', '12', '3456')).toBe(false);
    expect(ssnValid('666', '12', '3456')).toBe(false);
    expect(ssnValid('900', '12', '3456')).toBe(false);
    expect(ssnValid('999', '12', '3456')).toBe(false);
    expect(ssnValid('123', '00', '4567')).toBe(false);
    expect(ssnValid('123', '45', '0000')).toBe(false);
    expect(ssnValid('078', '05', '1120')).toBe(false);
    expect(ssnValid('899', '99', '9999')).toBe(true);
    expect(ssnValid('001', '01', '0001')).toBe(true);
    for (const t of ['000-12-3456', '666-12-3456', '987-65-4321', '123-45-67890', '123-456-789', '415-555-0132', 'x-521-37-4410']) {
      expect(found(t, 'SSN'), t).toEqual([]);
    }
  });
});

describe('iban', () => {
  it('finds compact and grouped IBANs that pass mod-97 and have their country length', () => {
    expect(found('pay GB82 WEST 1234 5698 7654 32 EUR', 'IBAN')).toEqual(['GB82 WEST 1234 5698 7654 32']);
    expect(found('iban: DE89370400440532013000', 'IBAN')).toEqual(['DE89370400440532013000']);
    expect(found('NL91ABNA0417164300 and BE68539007547034', 'IBAN')).toEqual(['NL91ABNA0417164300', 'BE68539007547034']);
  });

  it('rejects a wrong check digit, an unknown country, a wrong length or odd grouping', () => {
    for (const t of ['GB82 WEST 1234 5698 7654 33', 'XX82 WEST 1234 5698 7654 32', 'GB82WEST1234569876543', 'GB82 WE ST12 3456 9876 5432', 'DEUTDEFF500']) {
      expect(found(t, 'IBAN'), t).toEqual([]);
    }
  });

  it('implements the ISO 7064 mod 97-10 check', () => {
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanChecksumValid('FR1420041010050500013M02606')).toBe(true);
    expect(ibanChecksumValid('GB82west12345698765432')).toBe(false);
    expect(ibanChecksumValid('GB8')).toBe(false);
  });
});

describe('ip addresses', () => {
  it('finds IPv4 in logs, URLs and CIDRs', () => {
    expect(found('src=203.0.113.5 dport=22', 'IPV4')).toEqual(['203.0.113.5']);
    expect(found('curl http://192.0.2.1:8080/x', 'IPV4')).toEqual(['192.0.2.1']);
    expect(found('allow 10.0.0.0/8.', 'IPV4')).toEqual(['10.0.0.0']);
  });

  it('does not take versions, OIDs, dates or out-of-range octets for IPv4', () => {
    for (const t of ['version 1.2.3.4', 'v1.2.3.4', '1.3.6.1.4.1.311', '256.1.1.1', '10.0.0.256', '01.02.03.04', '1.2.3', '2024.01.15']) {
      expect(found(t, 'IPV4'), t).toEqual([]);
    }
  });

  it('finds IPv6 full, compressed, bracketed and with an embedded IPv4 (reported once, as IPv6)', () => {
    expect(found('host 2001:db8::1 up', 'IPV6')).toEqual(['2001:db8::1']);
    expect(found('[2001:db8:85a3::8a2e:370:7334]:443', 'IPV6')).toEqual(['2001:db8:85a3::8a2e:370:7334']);
    expect(found('2001:0db8:0000:0000:0000:ff00:0042:8329', 'IPV6')).toEqual(['2001:0db8:0000:0000:0000:ff00:0042:8329']);
    expect(found('mapped ::ffff:192.0.2.1', undefined)).toEqual(['::ffff:192.0.2.1']);
    expect(found('ping ::1', 'IPV6')).toEqual(['::1']);
  });

  it('does not take times, MACs, C++/Rust paths or ratios for IPv6', () => {
    for (const t of ['12:30:45', '00:1A:2B:3C:4D:5E', 'std::vector', 'crate::detect::pii', 'a::b', 'dead::beef', '16:9', 'Foo::bar()']) {
      expect(found(t, 'IPV6'), t).toEqual([]);
    }
    expect(ipv6Valid('1:2:3:4:5:6:7:8')).toBe(true);
    expect(ipv6Valid('1:2:3:4:5:6:7:8:9')).toBe(false);
    expect(ipv6Valid('1::2::3')).toBe(false);
    expect(ipv6Valid('12345::1')).toBe(false);
  });
});
