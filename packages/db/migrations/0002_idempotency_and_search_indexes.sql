ALTER TABLE "documents" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "request_hash" text;--> statement-breakpoint
CREATE INDEX "chunks_embedding_idx" ON "chunks" USING hnsw ("embedding" vector_cosine_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "documents_owner_idempotency_key_unique" ON "documents" USING btree ("owner_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "tasks_input_document_idx" ON "tasks" USING btree ((input ->> 'documentId'));