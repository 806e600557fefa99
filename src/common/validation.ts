import { z } from 'zod';
import { jsonPointer, ProblemException } from './problem';

/** Validates a request body, answering 422 with every bad field named by its JSON pointer. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new ProblemException(
    422,
    'The request body is invalid.',
    result.error.issues.map((i) => ({ path: jsonPointer(i.path) || '/', message: i.message })),
  );
}
