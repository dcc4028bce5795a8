#!/usr/bin/env node
/**
 * A stand-in for the AWS CLI, for running deploy/aws-ecs/deploy.sh without AWS. Every call is
 * appended to $FAKE_AWS_LOG as one JSON line ({ args, input }), with the JSON of any
 * `--cli-input-json file://…`. Answers are what the real CLI prints for the queries deploy.sh makes.
 * $FAKE_MIGRATE_EXIT sets the migrate container's exit code; $FAKE_SERVICE_STATUS the status of the
 * services not created during the run (a service the script created is ACTIVE from then on);
 * $FAKE_ENDPOINTS the Service Connect discovery names the existing services already serve
 * (default: each its own, `agent` and `api`).
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const inputFile = option('--cli-input-json')?.replace(/^file:\/\//, '');
const input = inputFile
  ? (JSON.parse(readFileSync(inputFile, 'utf8')) as Record<string, unknown>)
  : undefined;
appendFileSync(process.env.FAKE_AWS_LOG!, `${JSON.stringify({ args, input })}\n`);

// The task definition each service was last pointed at (what describe-services reports back).
const stateFile = `${process.env.FAKE_AWS_LOG}.services.json`;
const state = existsSync(stateFile)
  ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, string>)
  : {};

const command = `${args[0]} ${args[1]}`;
const query = option('--query') ?? '';
switch (command) {
  case 'ecs register-task-definition':
    console.log(`arn:aws:ecs:eu-west-1:123456789012:task-definition/${String(input!.family)}:7`);
    break;
  case 'ecs run-task':
    console.log('arn:aws:ecs:eu-west-1:123456789012:task/keelson/0123456789abcdef');
    break;
  case 'ecs describe-tasks':
    console.log(
      query.includes('exitCode')
        ? (process.env.FAKE_MIGRATE_EXIT ?? '0')
        : 'Essential container in task exited',
    );
    break;
  case 'ecs describe-services': {
    const name = option('--services')!;
    const exists = name in state || (process.env.FAKE_SERVICE_STATUS ?? 'ACTIVE') === 'ACTIVE';
    const app = name.replace(/^keelson-/, '');
    if (query.includes('rolloutState')) console.log(`COMPLETED\t${state[name]}`);
    else if (query.includes('serviceConnectResources')) {
      const served = (process.env.FAKE_ENDPOINTS ?? 'agent api').split(' ');
      // The CLI prints None for an empty or missing result.
      console.log(exists && served.includes(app) ? app : 'None');
    } else if (query === 'services[0].taskDefinition')
      console.log(state[name] ?? `arn:aws:ecs:eu-west-1:123456789012:task-definition/${name}:6`);
    else console.log(name in state ? 'ACTIVE' : (process.env.FAKE_SERVICE_STATUS ?? 'ACTIVE'));
    break;
  }
  case 'ecs update-service':
  case 'ecs create-service': {
    const name = String(input!.service ?? input!.serviceName);
    // A forced new deployment keeps the task definition the service runs.
    const taskDefinition = option('--task-definition') ?? (input!.taskDefinition as string | undefined);
    state[name] =
      taskDefinition ?? state[name] ?? `arn:aws:ecs:eu-west-1:123456789012:task-definition/${name}:6`;
    writeFileSync(stateFile, JSON.stringify(state));
    console.log('{}');
    break;
  }
  case 'ecs wait':
  case 'elbv2 modify-target-group-attributes':
  case 'elbv2 modify-load-balancer-attributes':
    break;
  default:
    console.error(`fake aws: unexpected command ${args.join(' ')}`);
    process.exit(255);
}
