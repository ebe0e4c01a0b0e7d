// Glue between upstream libtock-c, written for its own newlib build, and
// Debian's picolibc, which the upstream area links it with instead (see
// README.md). Everything here forwards to upstream's own stubs, so the apps
// behave as upstream ships them.

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

// Upstream's newlib stubs (libtock/sys.c, libtock-sync/sys.c).
int _write(int fd, const void* buffer, uint32_t count);
void* _sbrk(int increment);
int _getpid(void);
int _kill(pid_t pid, int signal);

// Linked with `--wrap=main`: upstream's crt0 calls main, which lands here.
int __real_main(int argc, char** argv);
int __wrap_main(int argc, char** argv);

// picolibc's malloc grows the heap through sbrk; abort reaches kill/getpid;
// the fortify failure handler (-D_FORTIFY_SOURCE=2) writes with write.
void* sbrk(ptrdiff_t increment);
int getpid(void);
int kill(pid_t pid, int signal);
ssize_t write(int fd, const void* buffer, size_t count);

void* sbrk(ptrdiff_t increment) { return _sbrk((int)increment); }
ssize_t write(int fd, const void* buffer, size_t count) { return _write(fd, buffer, (uint32_t)count); }
int getpid(void) { return _getpid(); }
int kill(pid_t pid, int signal) { return _kill(pid, signal); }

// newlib writes stdout through _write; picolibc through a FILE. A line at a
// time, like a terminal, so each printf line is one console write.
static char line[128];
static size_t line_length;

static int flush_line(FILE* stream) {
  (void)stream;
  if (line_length > 0) {
    _write(1, line, (uint32_t)line_length);
    line_length = 0;
  }
  return 0;
}

static int put_character(char character, FILE* stream) {
  line[line_length++] = character;
  if (character == '\n' || line_length == sizeof(line)) {
    flush_line(stream);
  }
  return (unsigned char)character;
}

static FILE console = FDEV_SETUP_STREAM(put_character, NULL, flush_line, _FDEV_SETUP_WRITE);
FILE* const stdout = &console;
FILE* const stderr = &console;

static void flush_at_exit(void) { flush_line(&console); }

// picolibc keeps errno and a few other variables thread-local: `tp` must
// point at a zeroed block before any of them is touched. The upstream area
// checks every linked app: no initialised thread-locals, and all of them fit.
#define THREAD_LOCAL_BYTES 512
uint8_t upstream_glue_thread_locals[THREAD_LOCAL_BYTES] __attribute__((aligned(16)));

int __wrap_main(int argc, char** argv) {
#if defined(__riscv)
  __asm__ volatile ("mv tp, %0" : : "r" (upstream_glue_thread_locals));
#else
#error "the glue is built for RISC-V only (Cortex-M apps use no glue: see mps2.rs)"
#endif
  atexit(flush_at_exit);
  return __real_main(argc, argv);
}
