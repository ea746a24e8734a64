// The README's "Deploying beyond one machine", checked as far as this machine allows: no Docker
// engine and no Kubernetes server here, so the executable runs in an empty root holding only the
// libraries the container recipe provides, and the CronJob manifest goes through a YAML parser.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { parse } from 'yaml';
import { builtExample } from '../helpers/built-examples.ts';
import { ROOT, run } from '../helpers/spawn.ts';
import { tableRows } from '../examples/sqlite-rows.ts';

const CHROOT = '/usr/sbin/chroot';
// What the README says the executable links, and the Dockerfile's base image plus libatomic1 provide.
const LIBRARIES = [
  'linux-vdso.so.1',
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'libpthread.so.0',
  'ld-linux-x86-64.so.2',
  'libstdc++.so.6',
  'libgcc_s.so.1',
  'libatomic.so.1',
];

const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
const deploying = readme.slice(readme.indexOf('\n## Deploying beyond one machine\n'));

/** The shared libraries an executable needs, as ldd resolves them on this machine. */
function linkedLibraries(file: string): { name: string; file: string | undefined }[] {
  return execFileSync('ldd', [file], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [name = '', resolved] = line.trim().split(/\s+=>\s+|\s+\(/);
      const found = /(\/\S+)/.exec(resolved?.startsWith('/') ? resolved : line.trim())?.[1];
      return { name: path.basename(name), file: found };
    });
}

it('the built job runs in an empty root that holds only itself and the libraries the recipe provides, as user 65532', async (t) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync(CHROOT))
    return t.skip('needs Linux, root and chroot');
  const binary = await builtExample('rest-import');
  const libraries = linkedLibraries(binary);
  assert.deepEqual(
    libraries.map((l) => l.name).filter((name) => !LIBRARIES.includes(name)),
    [],
    'a library the README and the Dockerfile do not name',
  );
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-empty-root-'));
  after(() => rm(root, { recursive: true, force: true }));
  await chmod(root, 0o755); // mkdtemp's 0700 would keep user 65532 out of its own root
  for (const { file } of libraries.filter((l) => l.file !== undefined)) {
    await mkdir(path.join(root, path.dirname(file ?? '')), { recursive: true });
    await copyFile(file ?? '', path.join(root, file ?? ''));
  }
  await copyFile(binary, path.join(root, 'rest-import'));
  await mkdir(path.join(root, 'data'));
  await chown(path.join(root, 'data'), 65532, 65532);
  const records = [1, 2, 3].map((n) => ({ id: `r-${n}`, name: `record ${n}` }));
  const server = createServer((_req, res) =>
    res.setHeader('content-type', 'application/json').end(JSON.stringify(records)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;
    const args = [
      '--userspec=65532:65532',
      root,
      '/rest-import',
      '--api-url',
      url,
      '--db-path',
      '/data/ferry.db',
      '--log-format',
      'json',
    ];
    const finished = await run(CHROOT, args, { env: { PATH: '/nonexistent' } });
    assert.equal(finished.code, 0, finished.stdout + finished.stderr);
  } finally {
    server.close();
  }
  assert.deepEqual(
    tableRows(path.join(root, 'data/ferry.db'), 'items', 'id').map((r) => r.id),
    ['r-1', 'r-2', 'r-3'],
  );
});

interface Rule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  onExitCodes?: { containerName?: string; operator: 'In' | 'NotIn'; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

/** What a Job does with a pod that exited with this code: the first rule that matches, else Count. */
function actionFor(rules: readonly Rule[], container: string, code: number): Rule['action'] {
  const matches = (r: Rule) =>
    r.onExitCodes !== undefined &&
    (r.onExitCodes.containerName ?? container) === container &&
    r.onExitCodes.values.includes(code) === (r.onExitCodes.operator === 'In');
  return rules.find(matches)?.action ?? 'Count';
}

it("the README's CronJob: 64 and 65 fail the Job, 75 and 1 count toward backoffLimit, 130 is ignored; Kubernetes' rules hold", () => {
  const manifest = parse(/```yaml\n([\s\S]*?)```/.exec(deploying)?.[1] ?? '') as {
    apiVersion: string;
    kind: string;
    spec: {
      concurrencyPolicy: string;
      jobTemplate: {
        spec: {
          backoffLimit: number;
          podFailurePolicy: { rules: Rule[] };
          template: { spec: { restartPolicy: string; containers: { name: string; args: string[] }[] } };
        };
      };
    };
  };
  assert.equal(`${manifest.apiVersion} ${manifest.kind}`, 'batch/v1 CronJob');
  const job = manifest.spec.jobTemplate.spec;
  const pod = job.template.spec;
  // Kubernetes refuses a podFailurePolicy unless the pods never restart in place.
  assert.equal(pod.restartPolicy, 'Never');
  assert.equal(manifest.spec.concurrencyPolicy, 'Forbid');
  assert.ok(job.backoffLimit >= 1, 'backoffLimit retries exit 75');
  const container = pod.containers[0]?.name ?? '';
  for (const rule of job.podFailurePolicy.rules) {
    assert.ok(['FailJob', 'Ignore', 'Count'].includes(rule.action), rule.action);
    const values = rule.onExitCodes?.values;
    if (values === undefined) continue;
    assert.deepEqual(
      values,
      [...new Set(values)].sort((a, b) => a - b),
      'exit codes unique and in increasing order',
    );
    assert.ok(!values.includes(0) && values.length <= 255, 'no 0 with In; at most 255 values');
    assert.ok(
      pod.containers.some((c) => c.name === rule.onExitCodes?.containerName),
      'containerName names a container',
    );
  }
  const actions = Object.fromEntries(
    [1, 64, 65, 69, 75, 130].map((code) => [code, actionFor(job.podFailurePolicy.rules, container, code)]),
  );
  assert.deepEqual(actions, { 1: 'Count', 64: 'FailJob', 65: 'FailJob', 69: 'Count', 75: 'Count', 130: 'Ignore' });
  assert.ok(
    job.podFailurePolicy.rules.some(
      (r) => r.action === 'Ignore' && r.onPodConditions?.some((c) => c.type === 'DisruptionTarget'),
    ),
    'a disrupted pod is not counted',
  );
});
