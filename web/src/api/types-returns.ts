// Shapes of issue 13's API (CONTRACT.md): returns (RMA), refunds, the return policy, stock alerts,
// the Shopify stock sync. Money is a decimal string; times are ISO-8601 UTC strings.

export const RETURN_REASONS = [
  'DAMAGED', 'DEFECTIVE', 'WRONG_ITEM', 'NOT_AS_DESCRIBED', 'NO_LONGER_NEEDED', 'SIZE_OR_FIT', 'OTHER',
] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];
export const RETURN_RESOLUTIONS = ['REFUND', 'EXCHANGE', 'STORE_CREDIT'] as const;
export type ReturnResolution = (typeof RETURN_RESOLUTIONS)[number];
export const RETURN_STATUSES = [
  'REQUESTED', 'APPROVED', 'REJECTED', 'PARTIALLY_RECEIVED', 'RECEIVED', 'REFUNDED', 'EXCHANGED', 'CREDITED',
] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];
export const RECEIPT_CONDITIONS = ['SELLABLE', 'DAMAGED'] as const;
export type ReceiptCondition = (typeof RECEIPT_CONDITIONS)[number];
export const REFUND_SHIPPING = ['NEVER', 'FULL_RETURN', 'ALWAYS'] as const;
export type RefundShipping = (typeof REFUND_SHIPPING)[number];

export interface ReturnLine {
  sku: string;
  product_name?: string | null;
  quantity: number;
  reason: ReturnReason;
  unit_price?: string | null;
  received_sellable?: number;
  received_damaged?: number;
}
export interface ExchangeLine {
  sku: string;
  quantity: number;
}
export interface RefundLine {
  sku: string;
  quantity: number;
  amount: string;
}
export interface Refund {
  id: string;
  amount: string;
  currency: string;
  items_amount: string;
  discount: string;
  tax: string;
  shipping: string;
  restocking_fee: string;
  lines: RefundLine[];
  channel_status?: 'PENDING' | 'DONE' | 'FAILED' | null;
  created_at: string;
}
export interface StoreCredit {
  id: string;
  amount: string;
  currency: string;
}
export interface Return {
  id: string;
  rma_number: string;
  order_id: string;
  order_number?: string | null;
  status: ReturnStatus;
  resolution: ReturnResolution;
  lines: ReturnLine[];
  exchange_lines?: ExchangeLine[] | null;
  exchange_order_id?: string | null;
  refund?: Refund | null;
  store_credit?: StoreCredit | null;
  customer_email?: string | null;
  note?: string | null;
  /** staff-only fields (a CUSTOMER's view omits them) */
  decided_by?: string | null;
  decision_note?: string | null;
  requested_by?: string | null;
  created_at: string;
  updated_at?: string | null;
  received_at?: string | null;
}
export interface ReturnCreate {
  lines: { sku: string; quantity: number; reason: ReturnReason }[];
  resolution: ReturnResolution;
  exchange_lines?: ExchangeLine[];
  note?: string;
}
export interface ReturnReceipt {
  node_id: string;
  lines: { sku: string; quantity: number; condition: ReceiptCondition }[];
}
export interface ReturnPolicy {
  return_window_days: number;
  restocking_fee_percent: string;
  restocking_fee_reasons: ReturnReason[];
  refund_shipping: RefundShipping;
  return_shipping_fee: string;
  auto_approve: boolean;
  updated_at?: string | null;
  updated_by?: string | null;
}
export type ReturnPolicyFields = Omit<ReturnPolicy, 'updated_at' | 'updated_by'>;

// ------------------------------------------------------------------ stock alerts
export const ALERT_KINDS = ['LOW_STOCK', 'OUT_OF_STOCK'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const ALERT_STATES = ['OPEN', 'RESOLVED'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export interface StockAlert {
  id: string;
  sku: string;
  product_name?: string | null;
  node_id: string;
  node_code?: string | null;
  kind: AlertKind;
  state: AlertState;
  available: number;
  reorder_level: number;
  raised_at: string;
  resolved_at?: string | null;
  source?: 'stream' | 'scan' | null;
}
export interface AlertPage {
  items: StockAlert[];
  next_cursor?: string | null;
  /** OPEN alerts of the tenant by kind */
  counts: { low_stock: number; out_of_stock: number };
}

// ------------------------------------------------------------------ Shopify stock sync
/** One correction of a reconciliation: Shopify's available at a location before, Cirrus's (now set). */
export interface StockSyncChange {
  sku?: string;
  location?: string;
  shopify_before?: number | null;
  cirrus?: number | null;
  [key: string]: unknown;
}
export interface StockSyncStatus {
  enabled: boolean;
  locations: { node_id: string; location_id: string }[];
  pending: number;
  last_push_at?: string | null;
  last_reconciliation?: { at: string; checked: number; corrected: number; changes: StockSyncChange[] } | null;
}
