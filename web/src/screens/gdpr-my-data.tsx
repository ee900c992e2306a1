import { MyDataSummary } from '../components/my-data-summary';
import { PageHeader } from '../components/ui';

/** The transparency panel on its own, for everyone whatever their role (GET /v1/me/data-summary). */
export function MyDataScreen() {
  return (
    <>
      <PageHeader
        title="My data"
        description="What Bulwark keeps about you, why and for how long, and a copy of all of it."
      />
      <MyDataSummary />
    </>
  );
}
