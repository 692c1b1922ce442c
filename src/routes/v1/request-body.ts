import type { RequestView } from '../../domain/request';
import { requestSchema } from '../../schemas/request';
import { schemaOrderSerializerCompiler } from '../../schemas/json-in-schema-order';

const render = schemaOrderSerializerCompiler({ schema: requestSchema, method: 'GET', url: '/v1/requests/:id' });
// Keyed by the view object: a view the read cache holds is rendered once, however often it is read.
// Kept as bytes, so a repeated answer is not encoded again either.
const rendered = new WeakMap<RequestView, Buffer>();

/** GET /v1/requests/:id's 200 body: the bytes fastify's serializer for requestSchema gives. */
export function requestBody(view: RequestView): Buffer {
  let body = rendered.get(view);
  if (body === undefined) {
    body = Buffer.from(render(view));
    rendered.set(view, body);
  }
  return body;
}
