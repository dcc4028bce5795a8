-- pgvector ships with the pgvector/pgvector image and the managed Postgres services we target
-- (RDS, Render, Railway); the extension itself is created here, before any table uses `vector`.
CREATE EXTENSION IF NOT EXISTS vector;
