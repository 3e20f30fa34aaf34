// The AI architect (SUPERADMIN), KubeRiva's four tabs: proposals, patterns, experiments, performance.

import { useState } from 'react';
import { PageHeader, Tabs } from '../../components/ui';
import Experiments from './Experiments';
import Patterns from './Patterns';
import Performance from './Performance';
import Proposals from './Proposals';

type Tab = 'proposals' | 'patterns' | 'experiments' | 'performance';

export default function Architect() {
  const [tab, setTab] = useState<Tab>('proposals');
  return (
    <div className="page" data-testid="page-architect">
      <PageHeader title="Architect" subtitle="What the learning loop found, the changes it proposes, and how AI sourcing compares with the rules." />
      <Tabs
        tabs={[
          { key: 'proposals', label: 'Proposals' },
          { key: 'patterns', label: 'Patterns' },
          { key: 'experiments', label: 'Experiments' },
          { key: 'performance', label: 'Performance' },
        ]}
        active={tab}
        onChange={setTab}
        testid="architect-tabs"
      />
      {tab === 'proposals' && <Proposals />}
      {tab === 'patterns' && <Patterns />}
      {tab === 'experiments' && <Experiments />}
      {tab === 'performance' && <Performance />}
    </div>
  );
}
