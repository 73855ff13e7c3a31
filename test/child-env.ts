// The environment for a samlscope child process started by a test: tap's coverage recording switched off in it.
// The child runs TypeScript through tsx while tap instruments through ts-node; merging the two kinds of coverage
// drops the src/ files from tap's report, so children stay unmeasured (the same code is covered in process).
// tap's spawn hook copies its own _TAPJS_PROCESSINFO_* variables only where the child's env does not set them.
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, _TAPJS_PROCESSINFO_COVERAGE_: '0' };
}
