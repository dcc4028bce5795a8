CREATE TABLE "usage_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" text NOT NULL,
	"run_id" uuid,
	"conversation_id" uuid,
	"kind" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"input_tokens" integer NOT NULL,
	"output_tokens" integer NOT NULL,
	"cost" numeric(20, 10),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_records_kind_check" CHECK ("usage_records"."kind" in ('chat', 'summary', 'embedding')),
	CONSTRAINT "usage_records_tokens_non_negative" CHECK ("usage_records"."input_tokens" >= 0 and "usage_records"."output_tokens" >= 0 and ("usage_records"."cost" is null or "usage_records"."cost" >= 0))
);
--> statement-breakpoint
CREATE INDEX "usage_records_owner_created_idx" ON "usage_records" USING btree ("owner_id","created_at");