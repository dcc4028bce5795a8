/**
 * Loaded into a service with `--import` only when the bench profiles (`pnpm bench:profile`): each
 * SIGURG starts V8's sampling profiler, or stops it and writes `<BENCH_PROFILE_DIR>/<n>.cpuprofile`
 * (n = 1, 2, …), so a profile covers exactly one load and not the start-up or the idle seconds
 * around it. The same sampler as `node --cpu-prof`, switched on and off from outside. SIGURG,
 * because its default is to be ignored and nothing else here listens to it (close-with-grace, in
 * the apps, shuts down on SIGUSR2).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { profileDir } from './config.ts';

const dir = profileDir();

const session = new Session();
session.connect();
let running = false;
let written = 0;

process.on('SIGURG', () => {
  void (async () => {
    if (!running) {
      running = true;
      await session.post('Profiler.enable');
      // 1 ms, like --cpu-prof-interval's default.
      await session.post('Profiler.setSamplingInterval', { interval: 1_000 });
      await session.post('Profiler.start');
      return;
    }
    running = false;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, `${++written}.cpuprofile`), JSON.stringify(profile));
    process.stderr.write(`profile ${written} written\n`);
  })();
});
