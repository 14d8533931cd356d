import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { McpServersController } from './mcp-servers.controller';
import { McpServersService } from './mcp-servers.service';

/** The organization's MCP servers. Exports nothing. */
@Module({
  imports: [SnapshotsModule],
  controllers: [McpServersController],
  providers: [McpServersService],
})
export class McpModule {}
