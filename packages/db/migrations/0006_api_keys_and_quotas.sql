CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" text NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_scopes_check" CHECK ("api_keys"."scopes" <@ array['read', 'write', 'agent', 'keys']::text[])
);
--> statement-breakpoint
CREATE TABLE "owner_counters" (
	"owner_id" text PRIMARY KEY NOT NULL,
	"documents" integer DEFAULT 0 NOT NULL,
	"stored_bytes" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "owner_counters_non_negative" CHECK ("owner_counters"."documents" >= 0 and "owner_counters"."stored_bytes" >= 0)
);
--> statement-breakpoint
CREATE TABLE "owner_quotas" (
	"owner_id" text PRIMARY KEY NOT NULL,
	"max_documents" integer,
	"max_stored_bytes" bigint,
	"max_open_agent_runs" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix_unique" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "api_keys_owner_created_idx" ON "api_keys" USING btree ("owner_id","created_at" DESC NULLS LAST);