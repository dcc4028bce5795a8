#!/usr/bin/env bash
# Deploys one image tag of Keelson to an existing ECS cluster on Fargate, in the only safe order:
#
#   0. apply the ALB's settings the api relies on: the target group's deregistration delay, and
#      the load balancer's idle timeout (a JSON turn is silent until answered: AGENT_TIMEOUT_MS);
#   1. register the task definitions (api, task-runner, agent, migrate) for this tag;
#   2. run the one-off migrate task and wait for it: a non-zero exit stops the deploy here, before
#      any service runs the new code;
#   3. update the task-runner (its new tasks start before the old ones stop: every replica works,
#      the Postgres leader lock keeps one leader), then the agent, then the api, each waited for
#      until stable and checked not to have been rolled back by the deployment circuit breaker;
#   4. when this run created a Service Connect endpoint (the agent's `agent:3002`, the api's
#      `api:3000`: first run, or a service that just became a server), start fresh tasks of the
#      services that call it and started before it existed: ECS tasks only resolve the endpoints
#      that existed when they started.
#
# Usage:   set -a; . ./my-ecs.env; set +a
#          deploy/aws-ecs/deploy.sh <image-tag>
# Needs:   bash, the AWS CLI v2 with credentials for the account, jq.
# Env:     the variables of deploy/aws-ecs/example.env. DEPLOY_SERVICES (default
#          "task-runner agent api") names the services to update; the order above always holds.
#          MIGRATE_TIMEOUT_S (default 1800) and STABLE_TIMEOUT_S (default 1200) bound the waits.
# First run: services that do not exist yet are created from services/<app>.json (see
#          deployment.md for the cluster, ALB, target group, roles and secret to create first).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE_TAG="${1:?usage: deploy/aws-ecs/deploy.sh <image-tag>}"
export IMAGE_TAG

# Every ${NAME} placeholder the JSON files may use (example.env lists them; a test checks both).
VARIABLES=(
  AWS_REGION ECS_CLUSTER IMAGE_PREFIX IMAGE_TAG EXECUTION_ROLE_ARN TASK_ROLE_ARN SECRETS_ARN
  VPC_ID VPC_CIDR PRIVATE_SUBNET_1 PRIVATE_SUBNET_2 API_SECURITY_GROUP AGENT_SECURITY_GROUP
  TASK_RUNNER_SECURITY_GROUP API_TARGET_GROUP_ARN API_LOAD_BALANCER_ARN SERVICE_CONNECT_NAMESPACE
  S3_BUCKET
)
# Placeholders that may be left empty. REGISTRY_CREDENTIALS_ARN: a Secrets Manager secret with the
# username and token of a private registry (GHCR packages of a private repository); empty, the
# task definitions' repositoryCredentials are dropped (public images, or ECR through the
# execution role).
OPTIONAL_VARIABLES=(REGISTRY_CREDENTIALS_ARN)
missing=()
for name in "${VARIABLES[@]}"; do [[ -n "${!name:-}" ]] || missing+=("$name"); done
if ((${#missing[@]})); then
  echo "deploy: set ${missing[*]} (see deploy/aws-ecs/example.env)" >&2
  exit 2
fi
command -v jq >/dev/null || { echo "deploy: jq is required" >&2; exit 2; }

DEPLOY_SERVICES="${DEPLOY_SERVICES:-task-runner agent api}"
MIGRATE_TIMEOUT_S="${MIGRATE_TIMEOUT_S:-1800}"
STABLE_TIMEOUT_S="${STABLE_TIMEOUT_S:-1200}"
export AWS_REGION AWS_DEFAULT_REGION="$AWS_REGION"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log() { printf 'deploy: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# Writes a JSON template with every ${NAME} replaced by its value; a placeholder left over is an
# error, so a typo never reaches AWS as a literal "${...}".
render() {
  local text name
  text="$(<"$1")"
  # No registry credentials given: the images are pulled without any (ECS refuses an empty ARN).
  if [[ -z "${REGISTRY_CREDENTIALS_ARN:-}" ]]; then
    text="$(jq 'del(.containerDefinitions[]?.repositoryCredentials)' <<<"$text")"
  fi
  for name in "${VARIABLES[@]}" "${OPTIONAL_VARIABLES[@]}"; do
    text="${text//"\${$name}"/"${!name:-}"}"
  done
  if [[ "$text" == *'${'* ]]; then fail "unresolved placeholder in $1"; fi
  printf '%s\n' "$text" >"$2"
}

register() {
  render "$HERE/task-definitions/$1.json" "$WORK/$1.task-definition.json"
  aws ecs register-task-definition --cli-input-json "file://$WORK/$1.task-definition.json" \
    --query 'taskDefinition.taskDefinitionArn' --output text
}

# `aws ecs wait` gives up after a fixed number of polls (about 10 minutes); loop it until a deadline.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until aws ecs wait "$@"; do
    ((SECONDS < deadline)) || return 1
  done
}

deploy_service() {
  local app="$1" task_definition="$2" name="keelson-$1" status
  render "$HERE/services/$app.json" "$WORK/$app.service.json"
  status="$(service_status "$app")"
  if [[ "$status" == ACTIVE ]]; then
    # Re-apply what the file says on every deploy, except desiredCount: autoscaling (or the
    # operator) owns it, for the task-runner as for the api and the agent.
    jq --arg td "$task_definition" '
      {cluster, service: .serviceName, taskDefinition: $td, deploymentConfiguration,
       networkConfiguration, loadBalancers, healthCheckGracePeriodSeconds,
       serviceConnectConfiguration, availabilityZoneRebalancing}
      | with_entries(select(.value != null))' "$WORK/$app.service.json" >"$WORK/$app.update.json"
    log "updating $name → $task_definition"
    aws ecs update-service --cli-input-json "file://$WORK/$app.update.json" >/dev/null
  else
    log "creating $name ($task_definition)"
    aws ecs create-service --cli-input-json "file://$WORK/$app.service.json" \
      --task-definition "$task_definition" >/dev/null
  fi
  wait_for_rollout "$name" "$task_definition"
}

# Waits until the service is stable, then checks that the deployment that won runs the task
# definition asked for: the circuit breaker rolls a failing deployment back to the previous one,
# and the service is then "stable" again, so only the primary deployment tells.
wait_for_rollout() {
  local name="$1" task_definition="$2" rollout
  wait_until "$STABLE_TIMEOUT_S" services-stable --cluster "$ECS_CLUSTER" --services "$name" ||
    fail "$name did not become stable within ${STABLE_TIMEOUT_S}s"
  rollout="$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$name" \
    --query 'services[0].deployments[?status==`PRIMARY`] | [0].[rolloutState, taskDefinition]' \
    --output text)"
  [[ "$rollout" == "COMPLETED"$'\t'"$task_definition" ]] ||
    fail "$name did not complete on $task_definition (primary deployment: $rollout)"
  log "$name is running $task_definition"
}

service_status() {
  aws ecs describe-services --cluster "$ECS_CLUSTER" --services "keelson-$1" \
    --query 'services[0].status' --output text
}

# Service Connect endpoints: the agent serves the api and the task-runner (AGENT_URL), the api
# serves the agent (API_MCP_URL, its /mcp). `clients_of <server>` names the callers.
clients_of() {
  case "$1" in
    agent) printf 'task-runner api' ;;
    api) printf 'agent' ;;
  esac
}

# Whether <app>'s running deployment already serves its Service Connect endpoint (discovery name
# = app name, services/<app>.json). False for a service that does not exist yet.
serves_endpoint() {
  local names
  names="$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "keelson-$1" \
    --query 'services[0].deployments[?status==`PRIMARY`] | [0].serviceConnectResources[].discoveryName' \
    --output text)"
  [[ " $names " == *[[:space:]]"$1"[[:space:]]* ]]
}

# A new deployment of the service's current task definition: fresh tasks, which resolve every
# endpoint that exists now.
redeploy_service() {
  local app="$1" name="keelson-$1" task_definition
  if [[ "$(service_status "$app")" != ACTIVE ]]; then
    log "not restarting $name: it does not exist yet (deploy it to give it the new endpoints)"
    return
  fi
  task_definition="$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$name" \
    --query 'services[0].taskDefinition' --output text)"
  jq -n --arg cluster "$ECS_CLUSTER" --arg service "$name" \
    '{cluster: $cluster, service: $service, forceNewDeployment: true}' >"$WORK/$app.restart.json"
  log "restarting $name: it started before a Service Connect endpoint it calls existed"
  aws ecs update-service --cli-input-json "file://$WORK/$app.restart.json" >/dev/null
  wait_for_rollout "$name" "$task_definition"
}

# 0. The ALB's deregistration delay: in-flight requests get this long before the api task is
#    stopped. Its idle timeout: a JSON turn sends nothing until it is answered, for up to the
#    api's AGENT_TIMEOUT_MS (streams send heartbeats); the ALB's default 60 s would cut it.
render "$HERE/target-group-attributes.json" "$WORK/target-group-attributes.json"
aws elbv2 modify-target-group-attributes \
  --cli-input-json "file://$WORK/target-group-attributes.json" >/dev/null
render "$HERE/load-balancer-attributes.json" "$WORK/load-balancer-attributes.json"
aws elbv2 modify-load-balancer-attributes \
  --cli-input-json "file://$WORK/load-balancer-attributes.json" >/dev/null

# 1. Task definitions.
# (Plain variables rather than an associative array: macOS still ships bash 3.2.)
task_definition_of() { local var="TASK_DEFINITION_${1//-/_}"; printf '%s' "${!var}"; }
for app in migrate task-runner agent api; do
  arn="$(register "$app")" # an assignment, so a failure stops the script (set -e)
  printf -v "TASK_DEFINITION_${app//-/_}" '%s' "$arn"
  log "registered $(task_definition_of "$app")"
done

# 2. Migrations, once, before any service runs the new code (the task-runner would also apply them
#    at start-up, under the same advisory lock; this makes a failing migration stop the deploy).
task_arn="$(aws ecs run-task --cluster "$ECS_CLUSTER" --launch-type FARGATE \
  --task-definition "$(task_definition_of migrate)" --started-by keelson-deploy \
  --network-configuration "awsvpcConfiguration={subnets=[$PRIVATE_SUBNET_1,$PRIVATE_SUBNET_2],securityGroups=[$TASK_RUNNER_SECURITY_GROUP],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)"
[[ -n "$task_arn" && "$task_arn" != None ]] || fail "the migrate task did not start"
log "migrating ($task_arn)"
wait_until "$MIGRATE_TIMEOUT_S" tasks-stopped --cluster "$ECS_CLUSTER" --tasks "$task_arn" ||
  fail "the migrate task did not stop within ${MIGRATE_TIMEOUT_S}s"
exit_code="$(aws ecs describe-tasks --cluster "$ECS_CLUSTER" --tasks "$task_arn" \
  --query 'tasks[0].containers[?name==`migrate`].exitCode | [0]' --output text)"
if [[ "$exit_code" != 0 ]]; then
  # No exit code at all (None) means the container never ran: image pull, secrets, networking.
  reason="$(aws ecs describe-tasks --cluster "$ECS_CLUSTER" --tasks "$task_arn" \
    --query 'tasks[0].stoppedReason' --output text)"
  fail "migrations exited with $exit_code ($reason); no service was changed. Logs: /keelson/migrate"
fi
log "migrations applied"

# 3. Services, in dependency order: the workers (one of them leads), the internal agent, the public api last.
#    First note which Service Connect endpoints this run is about to create.
new_endpoints=""
for app in agent api; do
  [[ " $DEPLOY_SERVICES " == *" $app "* ]] || continue
  serves_endpoint "$app" || new_endpoints="$new_endpoints $app"
done
deployed=""
for app in task-runner agent api; do
  [[ " $DEPLOY_SERVICES " == *" $app "* ]] || { log "skipping $app (not in DEPLOY_SERVICES)"; continue; }
  deploy_service "$app" "$(task_definition_of "$app")"
  deployed="$deployed $app"
done

# 4. Callers that started before an endpoint they use existed: deployed before its server in this
#    run, or not deployed in this run at all. (Callers deployed after it resolve it already.)
restart=""
for server in $new_endpoints; do
  before_server="${deployed%% "$server"*}"
  for client in $(clients_of "$server"); do
    if [[ " $deployed " == *" $client "* && " $before_server " != *" $client "* ]]; then continue; fi
    restart="$restart $client"
  done
done
for app in task-runner agent api; do
  if [[ " $restart " == *" $app "* ]]; then redeploy_service "$app"; fi
done
log "done: $IMAGE_TAG"
