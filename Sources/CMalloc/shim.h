// glibc malloc tuning (mallopt) for `floe serve`.
#include <malloc.h>
