import { Client, Connection } from '@temporalio/client';

export async function connectTemporalClient(options: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: options.address, connectTimeout: 5_000 });
  return new Client({ connection, namespace: options.namespace });
}
