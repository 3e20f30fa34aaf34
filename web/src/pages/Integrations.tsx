// Integrations (SUPERADMIN): outbound webhooks and their delivery log, sales-channel connectors and
// their event log, API keys for machine callers.

import { useState } from 'react';
import { PageHeader, Tabs } from '../components/ui';
import ApiKeys from './integrations/ApiKeys';
import Connectors from './integrations/Connectors';
import Webhooks from './integrations/Webhooks';

type Tab = 'webhooks' | 'connectors' | 'keys';

export default function Integrations() {
  const [tab, setTab] = useState<Tab>('webhooks');
  return (
    <div className="page" data-testid="page-integrations">
      <PageHeader title="Integrations" subtitle="Who hears about orders, where orders come from, and the keys machines call with." />
      <Tabs
        tabs={[{ key: 'webhooks', label: 'Webhooks' }, { key: 'connectors', label: 'Connectors' }, { key: 'keys', label: 'API keys' }]}
        active={tab}
        onChange={setTab}
        testid="integrations-tabs"
      />
      {tab === 'webhooks' && <Webhooks />}
      {tab === 'connectors' && <Connectors />}
      {tab === 'keys' && <ApiKeys />}
    </div>
  );
}
