// Create an order (POST /orders with an Idempotency-Key: a retried submit is answered once).

import { useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import {
  catalog, CHANNELS, FULFILLMENT_TYPES, newIdempotencyKey, orders, PICKUP_TYPES,
  type Channel, type FulfillmentType, type OrderCreate,
} from '../api';
import { Field, LoadError, PageHeader, Panel } from '../components/ui';
import { humanize, money } from '../format';
import { useLoad } from '../lib/hooks';
import { useNodes } from '../lib/nodes';
import { useAction } from '../notify';

// A few destinations with coordinates, so the order map has an exact point.
export const DESTINATIONS = [
  { label: 'Boston, MA', city: 'Boston', state: 'MA', postal_code: '02108', lat: 42.3601, lon: -71.0589 },
  { label: 'Brooklyn, NY', city: 'Brooklyn', state: 'NY', postal_code: '11201', lat: 40.6943, lon: -73.9903 },
  { label: 'Seattle, WA', city: 'Seattle', state: 'WA', postal_code: '98101', lat: 47.6062, lon: -122.3321 },
  { label: 'San Jose, CA', city: 'San Jose', state: 'CA', postal_code: '95113', lat: 37.3382, lon: -121.8863 },
  { label: 'Austin, TX', city: 'Austin', state: 'TX', postal_code: '78701', lat: 30.2672, lon: -97.7431 },
  { label: 'Denver, CO', city: 'Denver', state: 'CO', postal_code: '80202', lat: 39.7392, lon: -104.9903 },
  { label: 'Atlanta, GA', city: 'Atlanta', state: 'GA', postal_code: '30303', lat: 33.749, lon: -84.388 },
  { label: 'Orlando, FL', city: 'Orlando', state: 'FL', postal_code: '32801', lat: 28.5383, lon: -81.3792 },
  { label: 'Milwaukee, WI', city: 'Milwaukee', state: 'WI', postal_code: '53202', lat: 43.0389, lon: -87.9065 },
];

interface Line {
  sku: string;
  quantity: number;
}

export default function CreateOrder() {
  const navigate = useNavigate();
  const products = useLoad(() => catalog.products({ active: true, limit: 200 }), []);
  const nodeIndex = useNodes();
  const { run, busy } = useAction();
  const [key, setKey] = useState(newIdempotencyKey);
  const [channel, setChannel] = useState<Channel>('WEB');
  const [type, setType] = useState<FulfillmentType>('SHIP_TO_HOME');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [lines, setLines] = useState<Line[]>([{ sku: '', quantity: 1 }]);
  const [address1, setAddress1] = useState('1 Main Street');
  const [city, setCity] = useState('');
  const [state, setState] = useState('');
  const [postal, setPostal] = useState('');
  const [country, setCountry] = useState('US');
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [pickupNode, setPickupNode] = useState('');
  const [tags, setTags] = useState('');
  const pickup = PICKUP_TYPES.includes(type);

  const priceOf = useMemo(() => new Map((products.data?.items ?? []).map((p) => [p.sku, p])), [products.data]);
  const estimate = lines.reduce((sum, l) => sum + (Number(priceOf.get(l.sku)?.price ?? 0) * (l.quantity || 0)), 0);

  function preset(label: string) {
    const d = DESTINATIONS.find((x) => x.label === label);
    if (!d) return;
    setCity(d.city);
    setState(d.state);
    setPostal(d.postal_code);
    setCountry('US');
    setLat(String(d.lat));
    setLon(String(d.lon));
  }

  function setLine(i: number, change: Partial<Line>) {
    setLines((ls) => ls.map((l, j) => (j === i ? { ...l, ...change } : l)));
  }

  function body(): OrderCreate {
    const order: OrderCreate = {
      channel,
      fulfillment_type: type,
      customer_name: name.trim(),
      customer_email: email.trim(),
      line_items: lines.filter((l) => l.sku).map((l) => ({ sku: l.sku, quantity: Number(l.quantity) })),
      tags: tags.split(',').map((t) => t.trim()).filter(Boolean),
    };
    if (pickup) {
      if (pickupNode) order.pickup_node_id = pickupNode;
    } else {
      order.shipping_address = {
        address1: address1.trim(), city: city.trim(), state: state.trim() || null, postal_code: postal.trim() || null,
        country: country.trim().toUpperCase() || 'US',
        latitude: lat.trim() ? Number(lat) : null, longitude: lon.trim() ? Number(lon) : null,
      };
    }
    return order;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const created = await run('Create order', () => orders.create(body(), key), (o) => `Order ${o.order_number} created`);
    if (created) {
      setKey(newIdempotencyKey());
      navigate(`/orders/${created.id}`);
    }
  }

  return (
    <div className="page" data-testid="page-create-order">
      <PageHeader title="New order" subtitle={<Link to="/orders">← Orders</Link>} />
      <form onSubmit={submit} data-testid="create-order-form" className="form-grid">
        <Panel title="Customer and channel">
          <div className="row">
            <Field label="Customer name"><input required value={name} onChange={(e) => setName(e.target.value)} data-testid="co-customer-name" /></Field>
            <Field label="Customer email"><input required type="email" value={email} onChange={(e) => setEmail(e.target.value)} data-testid="co-customer-email" /></Field>
          </div>
          <div className="row">
            <Field label="Channel">
              <select value={channel} onChange={(e) => setChannel(e.target.value as Channel)} data-testid="co-channel">
                {CHANNELS.map((c) => <option key={c} value={c}>{humanize(c)}</option>)}
              </select>
            </Field>
            <Field label="Fulfilment">
              <select value={type} onChange={(e) => setType(e.target.value as FulfillmentType)} data-testid="co-fulfillment-type">
                {FULFILLMENT_TYPES.map((f) => <option key={f} value={f}>{humanize(f)}</option>)}
              </select>
            </Field>
            <Field label="Tags" hint="comma separated"><input value={tags} onChange={(e) => setTags(e.target.value)} data-testid="co-tags" /></Field>
          </div>
        </Panel>

        <Panel title="Lines" actions={<span className="muted">Estimated {money(estimate)} (prices from the catalog)</span>}>
          <LoadError error={products.error} what="the catalog" />
          {lines.map((l, i) => (
            <div className="row line-row" key={i}>
              <Field label={`SKU ${i + 1}`}>
                <select required value={l.sku} onChange={(e) => setLine(i, { sku: e.target.value })} data-testid={`co-sku-${i}`}>
                  <option value="">Choose a product…</option>
                  {(products.data?.items ?? []).map((p) => (
                    <option key={p.sku} value={p.sku}>{p.sku} · {p.name} · {money(p.price, p.currency)}</option>
                  ))}
                </select>
              </Field>
              <Field label="Quantity">
                <input type="number" min={1} max={100000} required value={l.quantity} onChange={(e) => setLine(i, { quantity: Number(e.target.value) })} data-testid={`co-qty-${i}`} />
              </Field>
              <button type="button" className="btn btn-ghost" disabled={lines.length === 1} onClick={() => setLines((ls) => ls.filter((_, j) => j !== i))} aria-label={`Remove line ${i + 1}`}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" className="btn btn-small" onClick={() => setLines((ls) => [...ls, { sku: '', quantity: 1 }])} data-testid="co-add-line">
            + Add line
          </button>
        </Panel>

        {pickup ? (
          <Panel title="Pickup">
            <Field label="Pickup node">
              <select value={pickupNode} onChange={(e) => setPickupNode(e.target.value)} data-testid="co-pickup-node">
                <option value="">Let sourcing choose</option>
                {(nodeIndex.data ?? []).filter((n) => n.can_pickup || n.can_curbside).map((n) => (
                  <option key={n.id} value={n.id}>{n.code} · {n.name}</option>
                ))}
              </select>
            </Field>
          </Panel>
        ) : (
          <Panel title="Ship to" actions={
            <select defaultValue="" onChange={(e) => preset(e.target.value)} aria-label="Destination preset" data-testid="co-destination-preset">
              <option value="">Fill from a city…</option>
              {DESTINATIONS.map((d) => <option key={d.label} value={d.label}>{d.label}</option>)}
            </select>
          }>
            <div className="row">
              <Field label="Address"><input required value={address1} onChange={(e) => setAddress1(e.target.value)} data-testid="co-address1" /></Field>
              <Field label="City"><input required value={city} onChange={(e) => setCity(e.target.value)} data-testid="co-city" /></Field>
              <Field label="State"><input value={state} onChange={(e) => setState(e.target.value)} data-testid="co-state" /></Field>
            </div>
            <div className="row">
              <Field label="Postal code"><input value={postal} onChange={(e) => setPostal(e.target.value)} data-testid="co-postal" /></Field>
              <Field label="Country"><input value={country} maxLength={2} onChange={(e) => setCountry(e.target.value)} data-testid="co-country" /></Field>
              <Field label="Latitude"><input value={lat} inputMode="decimal" onChange={(e) => setLat(e.target.value)} data-testid="co-lat" /></Field>
              <Field label="Longitude"><input value={lon} inputMode="decimal" onChange={(e) => setLon(e.target.value)} data-testid="co-lon" /></Field>
            </div>
          </Panel>
        )}

        <div className="form-actions">
          <span className="muted small">Idempotency key <code>{key.slice(0, 8)}…</code>: submitting again after a failure is answered once.</span>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="co-submit">
            {busy ? 'Creating…' : 'Create order'}
          </button>
        </div>
      </form>
    </div>
  );
}
