import { validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pgText } from '../http/schemas.ts';
import type { Search } from '../search/search-service.ts';

const searchRequest = z.object({
  query: pgText().trim().min(1).max(1_000).describe('Web-search syntax: "exact phrase", or, -exclude.'),
  limit: z.number().int().min(1).max(50).default(10),
});

const hit = z.object({
  chunkId: z.uuid(),
  documentId: z.uuid(),
  documentTitle: z.string(),
  ordinal: z.number().int(),
  content: z.string(),
  page: z
    .number()
    .int()
    .nullable()
    .describe('The page of the PDF the passage comes from; null for other sources.'),
  headings: z
    .array(z.string())
    .nullable()
    .describe(
      'The headings above the passage in its DOCX, HTML or Markdown file, outermost first; null otherwise.',
    ),
  score: z.number().describe('Combined score in [0, 1]; higher is better.'),
  textScore: z
    .number()
    .nullable()
    .describe('Full-text rank, ts_rank normalized to [0, 1); null if no text match.'),
  vectorScore: z.number().nullable().describe('Cosine similarity to the query; null without embeddings.'),
});

export const searchRoutes: FastifyPluginAsyncZod<{ search: Search }> = async (app, { search }) => {
  app.post(
    '/v1/search',
    {
      config: { permission: 'search' },
      schema: {
        summary:
          "The caller's best-matching chunks: full-text ranked, vector similarity joining in when embeddings exist.",
        tags: ['search'],
        body: searchRequest,
        response: {
          200: z.object({ hits: z.array(hit) }).describe('Best matches first.'),
          400: validationProblem,
        },
      },
    },
    async (request) => ({ hits: await search(request.ownerId, request.body.query, request.body.limit) }),
  );
};
