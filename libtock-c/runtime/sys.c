// The glue between picolibc and the kernel: the heap break (sbrk over memop
// sbrk), process exit, and stdin/stdout/stderr on the console driver.
//
// Guarantees: malloc returns NULL when the kernel refuses to move the break
// (sbrk reports ENOMEM); printf output reaches the console in order, a line
// at a time (or when the buffer fills, or at exit).

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <libtock-sync/console.h>
#include <libtock/tock.h>

// Declared by picolibc's malloc; defined here instead of its linker-symbol
// version, because the kernel, not the linker, decides where the heap ends.
void* sbrk(ptrdiff_t increment);
void _exit(int status);
void libtock_stdio_flush(void);

void* sbrk(ptrdiff_t increment) {
  memop_return_t ret = memop(TOCK_MEMOP_SBRK, (int)increment);
  if (ret.type != TOCK_SYSCALL_SUCCESS_U32) {
    errno = ENOMEM;
    return (void*)-1;
  }
  return (void*)ret.data;
}

void _exit(int status) {
  libtock_stdio_flush();
  tock_exit((uint32_t)status);
}

// One line of output at a time: a console write per line keeps the kernel's
// work (and the number of system calls) small.
static char output_line[128];
static uint32_t output_length = 0;

void libtock_stdio_flush(void) {
  if (output_length == 0) return;
  uint32_t written;
  libtocksync_console_write((const uint8_t*)output_line, output_length, &written);
  output_length = 0;
}

static int console_put(char character, FILE* stream) {
  (void)stream;
  output_line[output_length++] = character;
  if (character == '\n' || output_length == sizeof(output_line)) {
    libtock_stdio_flush();
  }
  return (unsigned char)character;
}

static int console_get(FILE* stream) {
  (void)stream;
  libtock_stdio_flush();
  uint8_t character;
  uint32_t read = 0;
  returncode_t ret = libtocksync_console_read(&character, 1, &read);
  if (ret != RETURNCODE_SUCCESS || read == 0) return _FDEV_ERR;
  return character;
}

static int console_flush(FILE* stream) {
  (void)stream;
  libtock_stdio_flush();
  return 0;
}

static FILE console_stream = FDEV_SETUP_STREAM(console_put, console_get, console_flush,
                                               _FDEV_SETUP_RW);

FILE* const stdin  = &console_stream;
FILE* const stdout = &console_stream;
FILE* const stderr = &console_stream;
