// Linux calls that the Glibc Swift module does not declare (glibc declares them only under _GNU_SOURCE).

// syncfs(2), glibc 2.14 and later: writes back one whole file system.
int syncfs(int fd);

// sync_file_range(2), Linux 2.6.17 and later: starts (or waits for) writeback of a file's range.
int sync_file_range(int fd, long long offset, long long nbytes, unsigned int flags);
