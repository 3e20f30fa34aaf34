import { describe, expect, it } from 'vitest';
import { ago, count, dateTime, humanize, isoDay, km, money, pct, pctValue, shortId, tone } from './format';

describe('format', () => {
  it('formats money strings with their currency', () => {
    expect(money('1234.5', 'USD')).toBe('$1,234.50');
    expect(money('59.98')).toBe('$59.98');
    expect(money(0, 'EUR')).toBe('€0.00');
    expect(money(null)).toBe('—');
    expect(money('abc')).toBe('abc');
  });

  it('formats counts, rates and distances', () => {
    expect(count(12345)).toBe('12,345');
    expect(count(null)).toBe('—');
    expect(pct(0.125)).toBe('12.5%');
    expect(pct(1, 0)).toBe('100%');
    expect(pct(null)).toBe('—');
    expect(pctValue(12.345)).toBe('12.3%');
    expect(km(346.361)).toBe('346 km');
    expect(km(12.34)).toBe('12.3 km');
  });

  it('formats times in a given zone and relative to now', () => {
    expect(dateTime('2026-11-29T10:00:05Z', 'UTC')).toBe('Nov 29, 10:00:05');
    expect(dateTime(null)).toBe('—');
    const now = Date.parse('2026-11-29T10:00:00Z');
    expect(ago('2026-11-29T09:59:58Z', now)).toBe('just now');
    expect(ago('2026-11-29T09:59:00Z', now)).toBe('1 min ago');
    expect(ago('2026-11-29T09:59:30Z', now)).toBe('30 s ago');
    expect(ago('2026-11-29T07:00:00Z', now)).toBe('3 h ago');
    expect(ago('2026-11-27T10:00:00Z', now)).toBe('2 d ago');
    expect(isoDay(0, new Date('2026-03-01T05:00:00Z'))).toBe('2026-03-01');
    expect(isoDay(-1, new Date('2026-03-01T05:00:00Z'))).toBe('2026-02-28');
  });

  it('humanizes statuses and event types, and gives them a tone', () => {
    expect(humanize('READY_TO_SHIP')).toBe('Ready to ship');
    expect(humanize('order.partially_shipped')).toBe('Order partially shipped');
    expect(humanize('AI_ADAPTIVE')).toBe('AI adaptive');
    expect(humanize('API')).toBe('API');
    expect(humanize('carrier_dlq')).toBe('Carrier DLQ');
    expect(tone('DELIVERED')).toBe('ok');
    expect(tone('CANCELLED')).toBe('bad');
    expect(tone('BACKORDERED')).toBe('warn');
    expect(tone('SOMETHING_NEW')).toBe('neutral');
    expect(shortId('d6e06f53-28b0-50fc-bc3e-1aac0582210d')).toBe('d6e06f53…');
  });
});
