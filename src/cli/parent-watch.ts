import { fstatSync } from 'node:fs';

// How often the parent's pid is looked at: well inside the second a host may wait for an orphan to go.
const POLL_MS = 250;

/**
 * Calls back once when the process that started this one is gone (--exit-with-parent), by two
 * means, whichever sees it first:
 * - the parent pid: on Linux and macOS an orphan is handed to init or a subreaper, so
 *   `process.ppid` changes; on Windows, which hands nothing over, the old parent pid stops
 *   answering `kill(pid, 0)`. Needs nothing from the host, but only sees the direct parent.
 * - end of file on stdin, when stdin is a pipe: the OS closes the host's end when the host dies,
 *   at once and whatever killed it. A host that closes it on purpose asks the job to stop.
 * Returns a function that stops watching.
 */
export function watchParent(onGone: (reason: string) => void): () => void {
  const parent = process.ppid;
  let watching = true;
  const gone = (reason: string) => {
    if (!watching) return;
    stop();
    onGone(reason);
  };
  const timer = setInterval(() => {
    if (!isAlive(parent)) gone(`the process that started it (pid ${parent}) has gone`);
  }, POLL_MS).unref();
  const stdin = isPipe(0) ? process.stdin : undefined;
  const onEnd = () => gone('its stdin, the pipe from the process that started it, was closed');
  // Whatever the host writes is not read; the pipe is watched only for its end. unref: a pipe
  // kept open must not keep a finished job alive.
  stdin?.on('end', onEnd).on('error', onEnd).resume();
  (stdin as { unref?: () => void } | undefined)?.unref?.();
  function stop(): void {
    watching = false;
    clearInterval(timer);
    stdin?.off('end', onEnd).off('error', onEnd).pause();
  }
  return stop;
}

function isAlive(pid: number): boolean {
  if (process.ppid !== pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, and belongs to someone else (a setuid launcher).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A pipe or a socket pair (Node's and libuv's 'pipe'), not a terminal, a file or /dev/null. */
function isPipe(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
