import type { ChildProcess } from 'node:child_process';

/**
 * The URL a server started as a child process prints once it listens (the first match of
 * `pattern`'s group 1 in its stdout or stderr); rejects, with everything it printed, if it exits
 * first. `name` says which server in that error.
 */
export function listeningUrl(child: ChildProcess, name: string, pattern = /listening on (http:\/\/127\.0\.0\.1:\d+)/): Promise<string> {
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${output}`)));
  });
}
