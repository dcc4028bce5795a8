ALTER TABLE "chunks" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "object_key" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "file_name" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "media_type" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "byte_size" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "documents_object_key_unique" ON "documents" USING btree ("object_key");