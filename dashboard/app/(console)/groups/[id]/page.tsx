import type { Metadata } from 'next';
import { GroupDetailPage } from '../_components/group-detail';

export const metadata: Metadata = { title: 'Group' };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <GroupDetailPage groupId={id} />;
}
