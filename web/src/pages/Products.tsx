// The catalog: products (GET /products, paged; POST /search/products for text), categories with
// their attribute schemas (GET/POST /product-categories); writes are a SUPERADMIN's.

import { useEffect, useState, type FormEvent } from 'react';
import { catalog, search, type Product } from '../api';
import { useAuth } from '../auth';
import { Badge, Empty, Field, LoadError, Loading, PageHeader, Pager, Panel, ReadOnlyNote } from '../components/ui';
import { money } from '../format';
import { useCursorPager, useDebounced, useLoad } from '../lib/hooks';
import { useAction } from '../notify';

const PAGE = 25;

export default function Products() {
  const { can } = useAuth();
  const [text, setText] = useState('');
  const [category, setCategory] = useState('');
  const q = useDebounced(text.trim(), 300);
  const pager = useCursorPager();
  const key = `${q}|${category}`;
  useEffect(() => pager.reset(), [key]); // back to the first page when the filters change
  const categories = useLoad(() => catalog.categories(), []);
  const products = useLoad(async () => {
    if (q) {
      const found = await search.products({ query: q, category: category || undefined, limit: PAGE, cursor: pager.cursor });
      return { items: found.items, next_cursor: found.next_cursor, total: found.total as number | undefined };
    }
    const page = await catalog.products({ category: category || undefined, limit: PAGE, cursor: pager.cursor });
    return { items: page.items, next_cursor: page.next_cursor ?? null, total: undefined };
  }, [key, pager.cursor]);
  const { run, busy } = useAction();

  async function remove(p: Product) {
    if (!window.confirm(`Retire ${p.sku}? It keeps its history but has no price for new orders.`)) return;
    const done = await run('Retire product', () => catalog.deleteProduct(p.sku), `${p.sku} retired`);
    if (done) void products.reload();
  }

  const known = new Set((products.data?.items ?? []).map((p) => p.category).filter(Boolean) as string[]);
  (categories.data?.items ?? []).forEach((c) => known.add(c.name));

  return (
    <div className="page" data-testid="page-products">
      <PageHeader title="Products" subtitle="What API orders are priced from." />
      <Panel>
        <div className="filters">
          <input type="search" className="search-input" placeholder="Search SKU, name, description, category…" value={text} onChange={(e) => setText(e.target.value)} aria-label="Search products" data-testid="product-search" />
          <select value={category} onChange={(e) => setCategory(e.target.value)} aria-label="Category" data-testid="product-category-filter">
            <option value="">All categories</option>
            {[...known].sort().map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </div>
      </Panel>
      <Panel title="Products">
        <LoadError error={products.error} what={q ? 'product search' : 'products'} />
        {products.loading && !products.data && <Loading />}
        {products.data && !products.data.items.length && <Empty>No products match.</Empty>}
        {products.data && products.data.items.length > 0 && (
          <table className="table" data-testid="products-table">
            <thead><tr><th>SKU</th><th>Name</th><th>Category</th><th className="num">Price</th><th>Attributes</th><th>Status</th>{can.admin && <th />}</tr></thead>
            <tbody>
              {products.data.items.map((p) => (
                <tr key={p.sku} data-testid="product-row" data-sku={p.sku}>
                  <td className="mono nowrap">{p.sku}</td>
                  <td>{p.name}{p.description && <div className="muted small">{p.description}</div>}</td>
                  <td>{p.category ?? '—'}</td>
                  <td className="num">{money(p.price, p.currency)}</td>
                  <td className="small">{Object.keys(p.attributes ?? {}).length ? <code className="json">{JSON.stringify(p.attributes)}</code> : '—'}</td>
                  <td><Badge value={p.active ? 'ACTIVE' : 'INACTIVE'} /></td>
                  {can.admin && <td>{p.active && <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => remove(p)}>Retire</button>}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager testid="products-pager" page={pager.page} hasPrev={pager.hasPrev} hasNext={Boolean(products.data?.next_cursor)} onPrev={pager.prev} onNext={() => pager.next(products.data?.next_cursor)}
          info={products.data?.total !== undefined ? `${products.data.total} matches` : undefined} />
      </Panel>
      <div className="grid-2">
        <Panel title="Categories" testid="categories-panel">
          <LoadError error={categories.error} what="categories" />
          {categories.data && !categories.data.items.length && <Empty>No categories with an attribute schema yet.</Empty>}
          {(categories.data?.items ?? []).map((c) => (
            <details key={c.name} className="card" data-testid="category-row">
              <summary><strong>{c.name}</strong> <span className="muted small">v{c.version}{c.description ? ` · ${c.description}` : ''}</span></summary>
              <code className="json">{JSON.stringify(c.attribute_schema, null, 2)}</code>
            </details>
          ))}
          {can.admin ? <CategoryForm onDone={() => void categories.reload()} /> : <ReadOnlyNote />}
        </Panel>
        <Panel title="Add a product">
          {can.admin ? <ProductForm categories={[...known]} onDone={() => void products.reload()} /> : <ReadOnlyNote />}
        </Panel>
      </div>
    </div>
  );
}

function ProductForm({ categories, onDone }: { categories: string[]; onDone: () => void }) {
  const { run, busy } = useAction();
  const [sku, setSku] = useState('');
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [category, setCategory] = useState('');
  const [attributes, setAttributes] = useState('{}');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const done = await run('Add product', () => {
      let attrs: Record<string, unknown>;
      try {
        attrs = JSON.parse(attributes || '{}') as Record<string, unknown>;
      } catch (err) {
        throw new Error(`Attributes are not valid JSON: ${(err as Error).message}`);
      }
      return catalog.createProduct({ sku: sku.trim(), name: name.trim(), price: price.trim(), category: category.trim() || undefined, attributes: attrs });
    }, `${sku} added`);
    if (done) {
      setSku('');
      setName('');
      setPrice('');
      onDone();
    }
  }

  return (
    <form onSubmit={submit} data-testid="product-form">
      <div className="row">
        <Field label="SKU"><input required value={sku} onChange={(e) => setSku(e.target.value)} /></Field>
        <Field label="Name"><input required value={name} onChange={(e) => setName(e.target.value)} /></Field>
      </div>
      <div className="row">
        <Field label="Price"><input required inputMode="decimal" pattern="\d+(\.\d{1,2})?" value={price} onChange={(e) => setPrice(e.target.value)} placeholder="19.99" /></Field>
        <Field label="Category">
          <input list="category-names" value={category} onChange={(e) => setCategory(e.target.value)} />
          <datalist id="category-names">{categories.map((c) => <option key={c} value={c} />)}</datalist>
        </Field>
      </div>
      <Field label="Attributes (JSON, checked against the category's schema)"><textarea rows={3} value={attributes} onChange={(e) => setAttributes(e.target.value)} /></Field>
      <button type="submit" className="btn btn-primary" disabled={busy}>Add product</button>
    </form>
  );
}

function CategoryForm({ onDone }: { onDone: () => void }) {
  const { run, busy } = useAction();
  const [name, setName] = useState('');
  const [schema, setSchema] = useState('{\n  "type": "object",\n  "properties": {}\n}');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const done = await run('Add category', () => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(schema) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`The schema is not valid JSON: ${(err as Error).message}`);
      }
      return catalog.createCategory({ name: name.trim(), attribute_schema: parsed });
    }, `Category ${name} added`);
    if (done) {
      setName('');
      onDone();
    }
  }

  return (
    <form onSubmit={submit} data-testid="category-form">
      <h3 className="sub">New category</h3>
      <Field label="Name"><input required value={name} onChange={(e) => setName(e.target.value)} /></Field>
      <Field label="Attribute schema (JSON Schema)"><textarea rows={5} value={schema} onChange={(e) => setSchema(e.target.value)} /></Field>
      <button type="submit" className="btn" disabled={busy}>Add category</button>
    </form>
  );
}
