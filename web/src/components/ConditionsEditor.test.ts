import { describe, expect, it } from 'vitest';
import { conditionText, conditionValue, fromRows, toRows } from './ConditionsEditor';

describe('condition values', () => {
  it('types values as the API wants them', () => {
    expect(conditionValue('shipping_state', 'IN', 'CA, WA ,OR,')).toEqual(['CA', 'WA', 'OR']);
    expect(conditionValue('line_count', 'GREATER_THAN', ' 3 ')).toBe(3);
    expect(conditionValue('total_quantity', 'IN', '1, 2')).toEqual([1, 2]);
    expect(conditionValue('total_amount', 'GREATER_THAN', '200')).toBe('200');
    expect(conditionValue('channel', 'EQUALS', 'WEB')).toBe('WEB');
  });
  it('round-trips stored conditions through the editor rows', () => {
    const stored = [
      { field: 'fulfillment_type', operator: 'IN', value: ['STORE_PICKUP', 'CURBSIDE_PICKUP'] },
      { field: 'total_amount', operator: 'GREATER_THAN', value: '200' },
    ];
    expect(toRows(stored)[0].text).toBe('STORE_PICKUP, CURBSIDE_PICKUP');
    expect(fromRows(toRows(stored))).toEqual(stored);
    expect(conditionText(null)).toBe('');
  });
});
