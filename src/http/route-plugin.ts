/**
 * The type of every route plugin: routes declare one JSON schema each, and the type provider
 * (json-schema-to-ts) derives `request.body`, `request.query`, `request.params` and the reply type
 * from it, so the schema that validates a request and documents it in OpenAPI is also its type.
 *
 * json-schema-to-ts rather than TypeBox: our schemas are plain JSON-schema objects (`as const`),
 * shared with the custom Ajv compiler and bench/bare-server.ts; the provider types them as they
 * are, with no second schema language to translate them into.
 */
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';

/** Replies may carry `Date` objects where the schema says `format: date-time` (the serialiser writes ISO strings). */
type DateTimeReplies = {
  deserialize: [
    { pattern: { type: 'string'; format: 'date-time' }; output: Date },
    { pattern: { type: readonly ['string', 'null']; format: 'date-time' }; output: Date | null },
  ];
};

export type RoutePlugin = FastifyPluginAsyncJsonSchemaToTs<{ SerializerSchemaOptions: DateTimeReplies }>;
