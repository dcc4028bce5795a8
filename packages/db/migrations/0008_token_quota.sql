CREATE TABLE "owner_spend" (
	"owner_id" text PRIMARY KEY NOT NULL,
	"runs_ended" bigint DEFAULT 0 NOT NULL,
	"tokens_month" date NOT NULL,
	"month_tokens" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "owner_spend_non_negative" CHECK ("owner_spend"."runs_ended" >= 0 and "owner_spend"."month_tokens" >= 0)
);
--> statement-breakpoint
ALTER TABLE "owner_counters" ADD COLUMN "runs_started" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "owner_quotas" ADD COLUMN "max_monthly_tokens" bigint;--> statement-breakpoint
ALTER TABLE "owner_quotas" ADD COLUMN "max_concurrent_runs" integer;--> statement-breakpoint
-- Written by hand below (drizzle-kit does not generate triggers). The run quotas' counters are
-- kept by triggers, so every way a run starts or ends (the agent, the task-runner's reaper, a
-- conversation deleted with its runs) and every way tokens are spent (a run's steps, a summary, an
-- embedding) counts, in the transaction that does it, without each writer having to remember.
CREATE FUNCTION keelson_count_run_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO owner_counters (owner_id, runs_started) VALUES (NEW.owner_id, 1)
  ON CONFLICT (owner_id) DO UPDATE SET runs_started = owner_counters.runs_started + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION keelson_count_run_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO owner_spend (owner_id, runs_ended, tokens_month)
  VALUES (OLD.owner_id, 1, date_trunc('month', now() AT TIME ZONE 'UTC')::date)
  ON CONFLICT (owner_id) DO UPDATE SET runs_ended = owner_spend.runs_ended + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A record of an earlier month than the row's (a step stored just after midnight UTC on the 1st)
-- no longer counts; a record of a later month starts the month's count.
CREATE FUNCTION keelson_add_month_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO owner_spend (owner_id, tokens_month, month_tokens)
  VALUES (NEW.owner_id, date_trunc('month', NEW.created_at AT TIME ZONE 'UTC')::date,
          NEW.input_tokens + NEW.output_tokens)
  ON CONFLICT (owner_id) DO UPDATE SET
    month_tokens = CASE
      WHEN owner_spend.tokens_month = EXCLUDED.tokens_month THEN owner_spend.month_tokens + EXCLUDED.month_tokens
      WHEN owner_spend.tokens_month < EXCLUDED.tokens_month THEN EXCLUDED.month_tokens
      ELSE owner_spend.month_tokens END,
    tokens_month = greatest(owner_spend.tokens_month, EXCLUDED.tokens_month);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER runs_count_start AFTER INSERT ON runs FOR EACH ROW
  WHEN (NEW.status IN ('queued', 'running', 'awaiting_approval'))
  EXECUTE FUNCTION keelson_count_run_start();
--> statement-breakpoint
CREATE TRIGGER runs_count_end AFTER UPDATE OF status ON runs FOR EACH ROW
  WHEN (OLD.status IN ('queued', 'running', 'awaiting_approval')
        AND NEW.status NOT IN ('queued', 'running', 'awaiting_approval'))
  EXECUTE FUNCTION keelson_count_run_end();
--> statement-breakpoint
CREATE TRIGGER runs_count_deleted AFTER DELETE ON runs FOR EACH ROW
  WHEN (OLD.status IN ('queued', 'running', 'awaiting_approval'))
  EXECUTE FUNCTION keelson_count_run_end();
--> statement-breakpoint
CREATE TRIGGER usage_records_add_month_tokens AFTER INSERT ON usage_records FOR EACH ROW
  EXECUTE FUNCTION keelson_add_month_tokens();
--> statement-breakpoint
-- The first fill, under the triggers' table locks (taken above, held to the end of this
-- migration's transaction): every owner holding documents gets its counter row now (a row the
-- triggers create later starts at zero documents), active runs count as started, and this month's
-- usage is added up.
INSERT INTO owner_counters (owner_id, documents, stored_bytes)
  SELECT owner_id, count(*), coalesce(sum(coalesce(byte_size, octet_length(content))), 0)
  FROM documents GROUP BY owner_id
  ON CONFLICT (owner_id) DO NOTHING;
--> statement-breakpoint
INSERT INTO owner_counters (owner_id, runs_started)
  SELECT owner_id, count(*) FROM runs WHERE status IN ('queued', 'running', 'awaiting_approval')
  GROUP BY owner_id
  ON CONFLICT (owner_id) DO UPDATE SET runs_started = EXCLUDED.runs_started;
--> statement-breakpoint
INSERT INTO owner_spend (owner_id, tokens_month, month_tokens)
  SELECT owner_id, date_trunc('month', now() AT TIME ZONE 'UTC')::date, sum(input_tokens + output_tokens)
  FROM usage_records
  WHERE created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
  GROUP BY owner_id;
