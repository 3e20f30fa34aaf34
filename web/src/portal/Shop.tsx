// The shop: the tenant's catalog (GET /catalog), a basket, the shipping address, and the order
// (POST /orders with an Idempotency-Key; the API takes the customer, channel and prices from
// the account and the catalog).

import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { newIdempotencyKey } from '../api';
import { shop, type CatalogItem } from '../api/tenancy';
import { Empty, LoadError, Loading, Panel } from '../components/ui';
import { money } from '../format';
import { useLoad } from '../lib/hooks';
import { useAction } from '../notify';
import { usePortalPath } from './PortalApp';

interface Address {
  address1: string;
  city: string;
  state: string;
  postal_code: string;
  country: string;
}

export default function Shop() {
  const catalog = useLoad(() => shop.catalog(), []);
  const [basket, setBasket] = useState<Record<string, number>>({});
  const [address, setAddress] = useState<Address>({ address1: '', city: '', state: '', postal_code: '', country: 'US' });
  const [key] = useState(newIdempotencyKey);
  const { run, busy } = useAction();
  const navigate = useNavigate();
  const to = usePortalPath();

  const items = catalog.data ?? [];
  const bySku = useMemo(() => new Map(items.map((i) => [i.sku, i])), [items]);
  const lines = Object.entries(basket).filter(([, q]) => q > 0);
  const currency = lines.length ? bySku.get(lines[0][0])?.currency ?? 'USD' : 'USD';
  const total = lines.reduce((sum, [sku, q]) => sum + Number(bySku.get(sku)?.price ?? 0) * q, 0);
  const ready = lines.length > 0 && address.address1.trim() && address.city.trim() && address.country.trim();

  const add = (item: CatalogItem) => setBasket((b) => ({ ...b, [item.sku]: (b[item.sku] ?? 0) + 1 }));
  const setQty = (sku: string, q: number) => setBasket((b) => ({ ...b, [sku]: Math.max(0, Math.floor(q) || 0) }));
  const field = (name: keyof Address) => ({
    value: address[name],
    onChange: (e: { target: { value: string } }) => setAddress((a) => ({ ...a, [name]: e.target.value })),
  });

  async function place(e: FormEvent) {
    e.preventDefault();
    if (!ready) return;
    // what to send where: the customer, channel and prices are the server's (from the account)
    const body = {
      fulfillment_type: 'SHIP_TO_HOME' as const,
      currency,
      line_items: lines.map(([sku, quantity]) => ({ sku, quantity })),
      shipping_address: {
        address1: address.address1.trim(),
        city: address.city.trim(),
        state: address.state.trim() || undefined,
        postal_code: address.postal_code.trim() || undefined,
        country: address.country.trim().toUpperCase(),
      },
    };
    const order = await run('Place the order', () => shop.place(body, key), (o) => `Order ${o.order_number} placed`);
    if (order) navigate(to(`/orders/${encodeURIComponent(order.id)}`));
  }

  return (
    <div className="grid-2" data-testid="page-portal-shop">
      <Panel title="Catalog" testid="catalog">
        <LoadError error={catalog.error} what="the catalog" />
        {catalog.loading && !catalog.data ? (
          <Loading what="the catalog" />
        ) : items.length === 0 ? (
          <Empty>Nothing to order yet.</Empty>
        ) : (
          <div className="catalog">
            {items.map((item) => (
              <div key={item.sku} className="catalog-card" data-testid="catalog-item" data-sku={item.sku} data-in-stock={String(item.in_stock)}>
                <strong>{item.name}</strong>
                <span className="muted small">{item.sku}</span>
                {item.description && <span className="small">{item.description}</span>}
                <span className="price">{money(item.price, item.currency)}</span>
                <span className={`small ${item.in_stock ? '' : 'muted'}`}>{item.in_stock ? 'In stock' : 'Out of stock: ships when it is back'}</span>
                <button type="button" className="btn btn-small" onClick={() => add(item)} data-testid="catalog-add" data-backorder={String(!item.in_stock)}>
                  {item.in_stock ? 'Add to basket' : 'Back-order'}
                </button>
              </div>
            ))}
          </div>
        )}
      </Panel>
      <Panel title="Your order" testid="basket">
        <form onSubmit={place} data-testid="place-order-form">
          {lines.length === 0 ? (
            <Empty>Your basket is empty.</Empty>
          ) : (
            <table className="table table-compact">
              <tbody>
                {lines.map(([sku, q]) => (
                  <tr key={sku} data-testid="basket-line" data-sku={sku}>
                    <td>{bySku.get(sku)?.name ?? sku}</td>
                    <td>
                      <input type="number" min={0} value={q} onChange={(e) => setQty(sku, Number(e.target.value))} aria-label={`Quantity of ${sku}`} data-testid="basket-qty" style={{ width: 70 }} />
                    </td>
                    <td className="num">{money(Number(bySku.get(sku)?.price ?? 0) * q, currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="muted small" data-testid="basket-total">Total {money(total, currency)} (before shipping and tax)</div>
          <h3 className="sub">Ship to</h3>
          <div className="row">
            <label className="field"><span className="field-label">Address</span><input required {...field('address1')} data-testid="ship-address1" /></label>
          </div>
          <div className="row">
            <label className="field"><span className="field-label">City</span><input required {...field('city')} data-testid="ship-city" /></label>
            <label className="field"><span className="field-label">State</span><input {...field('state')} data-testid="ship-state" /></label>
            <label className="field"><span className="field-label">Postal code</span><input {...field('postal_code')} data-testid="ship-postal" /></label>
            <label className="field"><span className="field-label">Country</span><input required maxLength={2} {...field('country')} data-testid="ship-country" /></label>
          </div>
          <button type="submit" className="btn btn-primary" disabled={busy || !ready} data-testid="place-order">
            {busy ? 'Placing…' : 'Place order'}
          </button>
        </form>
      </Panel>
    </div>
  );
}
