import type * as Ecs from '@aws-sdk/client-ecs';
import type * as ElasticLoadBalancingV2 from '@aws-sdk/client-elastic-load-balancing-v2';
import { createRequire } from 'node:module';

/**
 * The AWS SDK's enum objects, for checking the values the JSON files use. Loaded with Node's
 * require (the SDK's CommonJS build): Vite's SSR resolver would pick the SDK's extension-less ESM
 * build, which Node cannot load.
 */
const require = createRequire(import.meta.url);

export const ecsSdk = require('@aws-sdk/client-ecs') as typeof Ecs;
export const elbv2Sdk = require('@aws-sdk/client-elastic-load-balancing-v2') as typeof ElasticLoadBalancingV2;
