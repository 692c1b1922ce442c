import Fastify from 'fastify';
import fastifyJwt from '@fastify/jwt';
import { createPublicKey, type JsonWebKey } from 'node:crypto';

/**
 * The floor for the API: a bare Fastify app with the same @fastify/jwt check (same key from the
 * same JWKS, same algorithm, issuer and audience) answering a fixed body of the same size.
 */
async function main() {
  const { BENCH_JWKS_URL, BENCH_ISSUER, BENCH_AUDIENCE, BENCH_BODY_BYTES, PORT } = process.env;
  if (!BENCH_JWKS_URL || !BENCH_ISSUER || !BENCH_AUDIENCE || !BENCH_BODY_BYTES || !PORT)
    throw new Error('BENCH_JWKS_URL, BENCH_ISSUER, BENCH_AUDIENCE, BENCH_BODY_BYTES and PORT are required');
  const { keys } = (await (await fetch(BENCH_JWKS_URL)).json()) as { keys: JsonWebKey[] };
  const pem = createPublicKey({ key: keys[0]!, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
  const body = JSON.stringify({ padding: 'x'.repeat(Math.max(0, Number(BENCH_BODY_BYTES) - 14)) });
  const app = Fastify({ logger: false });
  await app.register(fastifyJwt, {
    secret: { public: pem },
    verify: {
      algorithms: ['ES256'],
      allowedIss: BENCH_ISSUER,
      allowedAud: BENCH_AUDIENCE,
      requiredClaims: ['exp', 'iss', 'aud'],
    },
  });
  app.get('/v1/requests/:id', async (request, reply) => {
    await request.jwtVerify();
    return reply.type('application/json; charset=utf-8').send(body);
  });
  await app.listen({ port: Number(PORT), host: '127.0.0.1' });
  process.stdout.write(`bare api listening on ${PORT}\n`);
  // Exits on its own when stopped, so a CPU profile (--cpu-prof) is written.
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench bare api: ${(error as Error).message}\n`);
  process.exit(1);
});
