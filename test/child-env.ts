// samlscope child processes in tests: their environment (tap's coverage recording off) and waiting for a proxy child's URL.
// The child runs TypeScript through tsx while tap instruments through ts-node; merging the two kinds of coverage
// drops the src/ files from tap's report, so children stay unmeasured (the same code is covered in process).
// tap's spawn hook copies its own _TAPJS_PROCESSINFO_* variables only where the child's env does not set them.
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
}

/** Waits for a `samlscope proxy` child to print where it listens (its banner on stderr); rejects if it exits first. */
export function proxyUrlFrom(child: import('node:child_process').ChildProcessWithoutNullStreams | import('node:child_process').ChildProcessByStdio<null, null, import('node:stream').Readable>): Promise<{ url: string; stderr: () => string }> {
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = / on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve({ url: m[1], stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
}
