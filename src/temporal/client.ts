import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';

/**
 * How the API talks to Temporal: a person waiting on a call must learn within seconds that
 * Temporal is out of reach. The SDK's default retries a refused connection for about ten
 * seconds whatever the call's deadline; these retry a brief outage (well under a second)
 * and then let the caller answer 503.
 */
export function apiConnectionOptions(address: string): ConnectionOptions {
  return {
    address,
    connectTimeout: 3_000,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4, maxIntervalMs: () => 1_000 }))],
  };
}

export async function connectTemporalClient(options: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect(apiConnectionOptions(options.address));
  return new Client({ connection, namespace: options.namespace });
}
