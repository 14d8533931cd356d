import type { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';

type OpenApiSchema = Extract<Parameters<typeof ApiBody>[0], { schema: unknown }>['schema'];

/** The OpenAPI schema of a shared zod schema, as the request side sees it. */
export function jsonSchema(schema: z.ZodType): OpenApiSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest as OpenApiSchema;
}
