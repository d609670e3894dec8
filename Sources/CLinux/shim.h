// Linux calls that the Glibc Swift module does not declare (glibc declares them only under _GNU_SOURCE).

// syncfs(2), glibc 2.14 and later: writes back one whole file system.
int syncfs(int fd);
