import type { FastifyRouteSchemaDef } from 'fastify/types/schema';
import { serializerCompiler } from '@fastify/type-provider-zod';
import type { z } from 'zod';

type Copy = (value: unknown) => unknown;

/** Plain values that zod's encode gives back as they are (no transform, no default). */
const AS_IS = new Set(['string', 'number', 'boolean', 'enum', 'literal', 'null']);

/**
 * The copy zod's encode makes of a valid value, without its checks: objects with the schema's
 * keys in the schema's order (others dropped), arrays element by element, plain values as they
 * are after their overwrites (a trimmed text is trimmed). Null when the schema has anything else (transforms, defaults, unions, records, passthrough
 * objects), so such a schema keeps zod's own serializer.
 */
function compileCopy(schema: z.ZodType): Copy | null {
  const def = (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
  // Overwrites (trim, toLowerCase, overwrite) change the value as zod encodes it; other checks only check.
  const overwrites = (def.checks ?? [])
    .map((check) => check._zod.def)
    .filter((check) => check.check === 'overwrite')
    .map((check) => check.tx!);
  if (AS_IS.has(def.type))
    return overwrites.length === 0 ? (value) => value : (value) => overwrites.reduce((out, tx) => tx(out), value);
  if (overwrites.length > 0) return null;
  if (def.type === 'nullable' || def.type === 'optional') {
    const inner = compileCopy(def.innerType!);
    return inner && ((value) => (value === null || value === undefined ? value : inner(value)));
  }
  if (def.type === 'array') {
    const element = compileCopy(def.element!);
    return element && ((value) => (value as unknown[]).map(element));
  }
  if (def.type === 'object') {
    // A catchall (passthrough, or a schema for unknown keys) keeps keys the shape does not name.
    if (def.catchall && (def.catchall as unknown as { _zod: { def: ZodDef } })._zod.def.type !== 'never') return null;
    const fields: Array<[string, Copy]> = [];
    for (const [key, field] of Object.entries(def.shape!)) {
      const copy = compileCopy(field);
      if (!copy) return null;
      fields.push([key, copy]);
    }
    return (value) => {
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, copy] of fields) {
        const field = source[key];
        if (field !== undefined) out[key] = copy(field);
      }
      return out;
    };
  }
  return null;
}

const isZod = (schema: unknown): schema is z.ZodType =>
  typeof schema === 'object' && schema !== null && '_zod' in schema;

interface ZodDef {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  checks?: Array<{ _zod: { def: { check: string; tx?: (value: unknown) => unknown } } }>;
}

/**
 * Response serializer for a hot read: the same bytes as @fastify/type-provider-zod's serializer
 * (zod encode, then JSON.stringify) for an answer that fits its schema, at a fraction of the
 * CPU, because the answer is copied in schema order instead of being checked again. For answers
 * the service builds from its own read model, which was checked when it was written. Schemas it
 * cannot copy exactly keep zod's serializer.
 */
// Shaped as fastify's per-route `serializerCompiler` option; GET /v1/requests/:id renders its body with it (routes/v1/request-body.ts).
export function schemaOrderSerializerCompiler<S>(route: FastifyRouteSchemaDef<S>): (data: unknown) => string {
  // As type-provider-zod resolves it: the zod schema itself, or one under `properties`.
  const schema = isZod(route.schema) ? route.schema : (route.schema as { properties?: unknown }).properties;
  const copy = isZod(schema) ? compileCopy(schema) : null;
  if (!copy) return serializerCompiler(route as unknown as Parameters<typeof serializerCompiler>[0]);
  return (data: unknown) => JSON.stringify(copy(data));
}
