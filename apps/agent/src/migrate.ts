/**
 * The one-off migration command of the agent image, as in the task-runner's: for a platform that
 * deploys the agent on its own and can run a pre-deploy step for it (Render's private service,
 * which gets no health check):  node dist/migrate.js  (exit code 0 = schema up to date).
 */
import '@repo/db/migrate';
