// pic-app: a libc-free app built position-independent for Cortex-M (r9 as
// the PIC base, linked at upstream's sentinels: flash 0x80000000, RAM 0),
// run from another address to prove crt0's relocation path: the GOT
// (string literals reached through it), .rel.data pointers into flash and
// into RAM, .data copied and .bss zeroed. Prints "pic: ok" or "pic: FAIL".
// Debian's picolibc is not built this way, so the app uses no libc state.
#include <libtock-sync/console.h>
#include <libtock/tock.h>

static int counter = 41;
// volatile: read the relocated pointers from memory, not a folded constant.
static int* volatile counter_pointer = &counter;
static const char message[] = "pic: relocated\n";
static const char* volatile message_pointer = message;
static int zeroed;

static void write_text(const char* text) {
  uint32_t length = 0;
  while (text[length] != '\0') length++;
  uint32_t written;
  libtocksync_console_write((const uint8_t*)text, length, &written);
}

int main(void) {
  bool ok = *counter_pointer == 41 && zeroed == 0 && message_pointer == message;
  (*counter_pointer)++;
  ok = ok && counter == 42;
  write_text(message_pointer);
  write_text(ok ? "pic: ok\n" : "pic: FAIL\n");
  tock_exit(ok ? 0 : 1);
}
