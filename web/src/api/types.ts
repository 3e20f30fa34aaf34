// Response and request shapes of the Cirrus OMS API (docs/openapi.json, CONTRACT.md). Money is a
// string with two decimals; timestamps are ISO-8601 UTC strings.

export type Role = 'PLATFORM_OWNER' | 'SUPERADMIN' | 'USER' | 'CUSTOMER' | 'INTEGRATION';

export interface Page<T> {
  items: T[];
  count?: number;
  next_cursor?: string | null;
}
export interface Listed<T> {
  items: T[];
  count: number;
}

// ------------------------------------------------------------------ auth
export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  user?: { email: string; role: Role; tenant_id: string; name?: string };
}
export interface Me {
  user_id: string;
  email: string;
  tenant_id: string;
  role: Role;
  name?: string | null;
  /** the tenant's slug (its portal is /portal/<slug>, its branding GET /branding/<slug>) */
  tenant_slug?: string | null;
}

// ------------------------------------------------------------------ orders
export const ORDER_STATUSES = [
  'PENDING', 'CONFIRMED', 'SOURCING', 'SOURCED', 'BACKORDERED', 'PICKING', 'PACKING', 'READY_TO_SHIP',
  'SHIPPED', 'PARTIALLY_SHIPPED', 'OUT_FOR_DELIVERY', 'PARTIALLY_DELIVERED', 'DELIVERED',
  'READY_FOR_PICKUP', 'PICKED_UP', 'CANCELLED', 'PARTIALLY_RETURNED', 'RETURNED', 'REFUNDED', 'FAILED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const CHANNELS = ['WEB', 'MOBILE', 'POS', 'API', 'MARKETPLACE'] as const;
export type Channel = (typeof CHANNELS)[number];
export const FULFILLMENT_TYPES = [
  'SHIP_TO_HOME', 'STORE_PICKUP', 'SHIP_FROM_STORE', 'CURBSIDE_PICKUP', 'SAME_DAY_DELIVERY',
] as const;
export type FulfillmentType = (typeof FULFILLMENT_TYPES)[number];
export const PICKUP_TYPES: readonly FulfillmentType[] = ['STORE_PICKUP', 'CURBSIDE_PICKUP'];

export interface OrderSummary {
  id: string;
  order_number: string;
  status: OrderStatus;
  /** the tenant's status code (its workflow); absent or null: the phase (`status`) */
  status_code?: string | null;
  phase?: string | null;
  channel: Channel;
  fulfillment_type: FulfillmentType;
  customer_email: string;
  customer_name: string;
  total_amount: string;
  currency: string;
  external_order_id?: string | null;
  created_at: string;
  updated_at: string;
}
export interface Address {
  address1: string;
  address2?: string | null;
  city: string;
  state?: string | null;
  postal_code?: string | null;
  country: string;
  latitude?: number | null;
  longitude?: number | null;
}
export interface OrderLine {
  line_number: number;
  sku: string;
  product_name?: string | null;
  quantity: number;
  unit_price: string;
  line_total: string;
}
export interface Allocation {
  node_id: string;
  node_code?: string | null;
  sku: string;
  quantity: number;
  item_id: string;
  state: string;
  distance_km?: number | null;
}
export interface Shipment {
  node_id?: string | null;
  carrier: string;
  tracking_number: string;
  shipped_at: string;
  delivered_at?: string | null;
  actual_cost?: string | null;
}
export interface StatusChange {
  status: OrderStatus;
  /** the tenant's status code (ADR 0035); absent on old entries: the phase */
  code?: string | null;
  at: string;
  actor: string;
  reason?: string | null;
}
export interface Order extends OrderSummary {
  tenant_id: string;
  version: number;
  customer_phone?: string | null;
  line_items: OrderLine[];
  shipping_address?: Address | null;
  pickup_node_id?: string | null;
  subtotal: string;
  shipping_amount: string;
  tax_amount: string;
  discount_amount: string;
  notes?: string | null;
  tags: string[];
  allocations: Allocation[];
  shipments: Shipment[];
  created_by: string;
  status_history: StatusChange[];
  /** what was refunded so far (decimal string; server-owned, issue 13) */
  refunded_amount?: string | null;
  /** units received back per SKU across the order's returns (server-owned, issue 13) */
  returned_quantities?: Record<string, number> | null;
}
export interface AuditEvent {
  seq: number;
  type: string;
  at: string;
  actor: string;
  from_status?: string | null;
  to_status?: string | null;
  data?: Record<string, unknown>;
}
export interface Candidate {
  node_id: string;
  code: string;
  node_type: string;
  distance_km: number | null;
  estimated_cost?: string | null;
  stock?: Record<string, number>;
  score: number | null;
  chosen: boolean;
  reason: string;
}
export interface SourcingDecision {
  outcome: string;
  strategy: string;
  reason: string;
  allocations: Allocation[];
  backordered: Record<string, number>;
  candidates: Candidate[];
  rule_id?: string | null;
  rule_name?: string | null;
  estimated_cost?: string | null;
  processing_ms?: number;
  requested_strategy?: string | null;
  ai?: Record<string, unknown> | null;
  experiment?: { id: string; arm: string } | null;
  at?: string;
  [key: string]: unknown;
}
export interface LineItemIn {
  sku: string;
  quantity: number;
  product_name?: string;
  unit_price?: string;
}
export interface OrderCreate {
  channel: Channel;
  fulfillment_type: FulfillmentType;
  customer_email: string;
  customer_name: string;
  customer_phone?: string;
  currency?: string;
  line_items: LineItemIn[];
  shipping_address?: Address;
  pickup_node_id?: string;
  external_order_id?: string;
  notes?: string;
  tags?: string[];
}
export const FULFILMENT_EVENT_TYPES = [
  'PICKING', 'PACKING', 'READY_TO_SHIP', 'READY_FOR_PICKUP', 'SHIPPED', 'OUT_FOR_DELIVERY', 'DELIVERED', 'PICKED_UP',
] as const;
export type FulfilmentEventType = (typeof FULFILMENT_EVENT_TYPES)[number];
export interface FulfilmentEvent {
  type: FulfilmentEventType;
  node_id?: string;
  carrier?: string;
  tracking_number?: string;
  note?: string;
  event_id?: string;
  actual_cost?: string;
}
export interface FulfilmentResult {
  order_id: string;
  status: OrderStatus;
  applied: boolean;
  duplicate?: boolean;
}

// ------------------------------------------------------------------ search
export interface OrderHit extends OrderSummary {
  skus: string[];
  score: number;
}
export interface SearchResult<T> {
  items: T[];
  total: number;
  next_cursor: string | null;
  took_ms: number;
}

// ------------------------------------------------------------------ analytics
export interface Bucket {
  orders: number;
  revenue: string;
}
export interface Dashboard {
  from_date: string;
  to_date: string;
  currency: string;
  orders: number;
  revenue: string;
  average_order_value: string;
  by_channel: Record<string, Bucket>;
  by_fulfillment_type: Record<string, Bucket>;
  by_status: Record<string, number>;
  top_nodes: { node_id: string; node_name: string; orders: number; units: number }[];
  split_rate: number | null;
  backorder_rate: number | null;
  on_time_delivery_rate: number | null;
  delivered: number;
  cancelled: number;
  inventory_alerts: {
    low_stock: number;
    out_of_stock: number;
    items: { sku: string; node_id: string; available: number; reorder_level: number }[];
  };
}
export interface VolumePoint {
  date: string;
  orders: number;
  revenue: string;
}
export interface Volume {
  days: number;
  series: VolumePoint[];
}

// ------------------------------------------------------------------ network and stock
export interface Node {
  id: string;
  code: string;
  name: string;
  node_type: string;
  status: string;
  latitude: number;
  longitude: number;
  address?: string | null;
  can_ship: boolean;
  can_pickup: boolean;
  can_curbside: boolean;
  can_same_day: boolean;
  daily_order_capacity: number;
  current_daily_orders: number;
  capacity_date?: string | null;
  shipping_cost_multiplier: string;
  created_at: string;
  updated_at: string;
}
export interface NodeCapacity {
  node_id: string;
  code: string;
  date: string;
  daily_order_capacity: number;
  current_daily_orders: number;
  remaining: number;
  utilization_pct: number;
}
export interface InventoryItem {
  id: string;
  node_id: string;
  sku: string;
  product_name?: string | null;
  on_hand: number;
  reserved: number;
  available: number;
  reorder_level: number;
  low_stock: boolean;
  version: number;
  updated_at: string;
}
export interface ProductStockNode {
  node_id: string;
  node_name: string;
  item_id: string;
  on_hand: number;
  reserved: number;
  available: number;
  reorder_level: number;
  low_stock: boolean;
}
export interface ProductStock {
  sku: string;
  name: string;
  category?: string | null;
  price?: string | null;
  currency?: string | null;
  total_on_hand: number;
  total_reserved: number;
  total_available: number;
  low_stock: boolean;
  reorder_level?: number | null;
  nodes: ProductStockNode[];
}
export const MANUAL_REASONS = ['RECEIVED', 'SOLD', 'RETURNED', 'DAMAGED', 'CYCLE_COUNT', 'CORRECTION'] as const;

// ------------------------------------------------------------------ catalog
export interface Product {
  sku: string;
  name: string;
  description?: string | null;
  category?: string | null;
  price: string;
  currency: string;
  weight?: string | number | null;
  active: boolean;
  attributes: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at?: string | null;
  score?: number;
}
export interface Category {
  name: string;
  description?: string | null;
  attribute_schema: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

// ------------------------------------------------------------------ sourcing rules
export const STRATEGIES = [
  'AI_ADAPTIVE', 'AI_HYBRID', 'COST_OPTIMAL', 'DISTANCE_OPTIMAL', 'INVENTORY_RESERVATION', 'LEAST_COST_SPLIT',
  'OPTIMAL_SPLIT', 'STORE_NEAREST',
] as const;
export const CONDITION_FIELDS = [
  'channel', 'fulfillment_type', 'total_amount', 'currency', 'customer_email', 'shipping_country', 'shipping_state',
  'has_sku', 'line_count', 'total_quantity',
] as const;
export const OPERATORS = [
  'EQUALS', 'NOT_EQUALS', 'GREATER_THAN', 'LESS_THAN', 'GREATER_THAN_OR_EQUAL', 'LESS_THAN_OR_EQUAL', 'IN', 'NOT_IN',
  'CONTAINS', 'STARTS_WITH',
] as const;
export interface Condition {
  field: string;
  operator: string;
  value: unknown;
}
export interface RuleFields {
  name: string;
  priority: number;
  strategy: string;
  conditions: Condition[];
  is_active: boolean;
  allowed_node_types?: string[];
  required_capabilities?: string[];
  excluded_node_ids?: string[];
  max_distance_km?: number | null;
  max_split_nodes?: number;
  cost_weight?: number;
  distance_weight?: number;
  extra_package_penalty?: string;
}
export interface Rule extends RuleFields {
  id: string;
  created_at: string;
  updated_at: string;
  version?: number;
}
export interface Evaluation {
  dry_run: boolean;
  order_id?: string | null;
  decision: SourcingDecision;
}

export * from './types-admin';
export * from './types-radar';
