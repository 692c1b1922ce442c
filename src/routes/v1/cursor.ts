import { z } from 'zod';
import { InvalidInputError } from '../../errors';

const cursorSchema = z.object({ c: z.iso.datetime(), i: z.string().min(1).max(128) });

/** Opaque to clients: the position of the last item of a page, base64url-encoded. */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify({ c: createdAt, i: id })).toString('base64url');
}

export class BadCursorError extends InvalidInputError {
  constructor() {
    super([{ path: 'querystring.cursor', message: 'cursor is not one this service issued' }]);
    this.name = 'BadCursorError';
  }
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { createdAt: parsed.c, id: parsed.i };
  } catch {
    throw new BadCursorError();
  }
}
