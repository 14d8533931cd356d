import type { Metadata } from 'next';
import { McpServersPage } from './_components/mcp-servers-page';

export const metadata: Metadata = { title: 'MCP servers' };

export default function Page() {
  return <McpServersPage />;
}
