/** What the build's output depends on, under `root`: every input path with its size and mtime. */
export function fingerprint(root: string): string;
