/**
 * The one-off migration command of the task-runner image, for platforms that migrate in a
 * pre-deploy step:  node dist/migrate.js  (exit code 0 = schema up to date).
 */
import '@repo/db/migrate';
