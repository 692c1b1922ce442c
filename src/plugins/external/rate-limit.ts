import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';

/** Registered globally but off by default: routes opt in (reveal per principal, not-found per address). */
export const rateLimitPlugin = fp(async (app) => {
  await app.register(rateLimit, { global: false });
});
