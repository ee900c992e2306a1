import { PageHeader } from '../components/ui';

// Being built in this change (issue 5); replaced before it lands.
export function RecordingDetailScreen() {
  return <PageHeader title="Recording" />;
}
