// Shapes of issue 13's answers for component tests (CONTRACT.md).

export const NODES = {
  items: [
    { id: 'n-1', code: 'DC-EAST', name: 'East DC', node_type: 'DC', status: 'ACTIVE', latitude: 42.3, longitude: -71.0, can_ship: true, can_pickup: false, can_curbside: false, can_same_day: false, daily_order_capacity: 100, current_daily_orders: 0, shipping_cost_multiplier: '1.0', created_at: '', updated_at: '' },
    { id: 'n-2', code: 'ST-BOS', name: 'Boston store', node_type: 'STORE', status: 'ACTIVE', latitude: 42.35, longitude: -71.06, can_ship: true, can_pickup: true, can_curbside: false, can_same_day: false, daily_order_capacity: 50, current_daily_orders: 0, shipping_cost_multiplier: '1.0', created_at: '', updated_at: '' },
  ],
  count: 2,
};

export function order(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'o-1', order_number: 'ORD-1', status, status_code: status, phase: status, channel: 'WEB', fulfillment_type: 'SHIP_TO_HOME',
    customer_email: 'casey@example.com', customer_name: 'Casey', customer_phone: null, total_amount: '70.00', currency: 'USD',
    created_at: '2026-11-20T10:00:00Z', updated_at: '2026-11-25T10:00:00Z', tenant_id: 'demo', version: 7,
    line_items: [
      { line_number: 1, sku: 'TEE-1', product_name: 'Tee', quantity: 3, unit_price: '20.00', line_total: '60.00' },
      { line_number: 2, sku: 'CAP-1', product_name: 'Cap', quantity: 1, unit_price: '10.00', line_total: '10.00' },
    ],
    shipping_address: { address1: '1 Main St', city: 'Boston', state: 'MA', postal_code: '02110', country: 'US' },
    pickup_node_id: null, subtotal: '70.00', shipping_amount: '0.00', tax_amount: '0.00', discount_amount: '0.00', notes: null, tags: [],
    allocations: [], shipments: [], created_by: 'user:someone@example.com',
    status_history: [{ status, at: '2026-11-25T10:00:00Z', actor: 'system' }],
    refunded_amount: '0.00', returned_quantities: {},
    ...extra,
  };
}

export function ret(status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'r-1', rma_number: 'RMA-0001', order_id: 'o-1', order_number: 'ORD-1', status, resolution: 'REFUND',
    lines: [{ sku: 'TEE-1', product_name: 'Tee', quantity: 2, reason: 'SIZE_OR_FIT', unit_price: '20.00', received_sellable: 0, received_damaged: 0 }],
    exchange_lines: [], exchange_order_id: null, refund: null, store_credit: null, customer_email: 'casey@example.com', note: null,
    decided_by: null, decision_note: null, requested_by: 'customer:casey@example.com',
    created_at: '2026-11-26T09:00:00Z', updated_at: '2026-11-26T09:00:00Z', received_at: null,
    ...extra,
  };
}

export const REFUND = {
  id: 'rf-1', amount: '36.00', currency: 'USD', items_amount: '40.00', discount: '0.00', tax: '0.00', shipping: '0.00', restocking_fee: '4.00',
  lines: [{ sku: 'TEE-1', quantity: 2, amount: '40.00' }], channel_status: 'PENDING', created_at: '2026-11-28T12:00:00Z',
};

export const POLICY = {
  return_window_days: 30, restocking_fee_percent: '10', restocking_fee_reasons: ['NO_LONGER_NEEDED', 'SIZE_OR_FIT'],
  refund_shipping: 'NEVER', return_shipping_fee: '0.00', auto_approve: false, updated_at: '2026-11-01T00:00:00Z', updated_by: 'user:admin@example.com',
};

export const err = (status: number, code: string, message: string, details: unknown = null) => ({ status, body: { error: { code, message, details } } });
